package answer

import (
	"strings"

	"github.com/attache-bot/attache/corpus/lang"
)

// quantityWords are quantities written out.
var quantityWords = lang.NewWordSet(`two three four five six seven eight nine ten eleven twelve thirteen
	fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy
	eighty ninety hundred hundreds thousand thousands million millions billion billions trillion
	dozen dozens half percent`)

// commonInitial are capitalised sentence openers that are not names.
var commonInitial = lang.NewWordSet(`but and or so yet officials authorities police experts critics
	people residents analysts lawmakers some many most several others another it its there their
	they we he she i his her our in on at after before during while when if as since although though
	however meanwhile still now then today yesterday earlier later also despite according under
	over for with without from by to of the a an this that these those one two three all both each
	president former`)

// placeNames are country, US state and major city names, for "where" and
// "which country" questions; two-word names are joined by a space.
var placeNames = lang.NewWordSet(`afghanistan albania algeria andorra angola argentina armenia australia austria
	azerbaijan bahamas bahrain bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia
	botswana brazil brunei bulgaria burkina burundi cambodia cameroon canada chad chile china colombia
	comoros congo croatia cuba cyprus czechia czech denmark djibouti dominica ecuador egypt eritrea
	estonia eswatini ethiopia fiji finland france gabon gambia georgia germany ghana greece grenada
	guatemala guinea guyana haiti honduras hungary iceland india indonesia iran iraq ireland israel
	italy jamaica japan jordan kazakhstan kenya kiribati kosovo kuwait kyrgyzstan laos latvia lebanon
	lesotho liberia libya liechtenstein lithuania luxembourg madagascar malawi malaysia maldives mali
	malta mauritania mauritius mexico micronesia moldova monaco mongolia montenegro morocco mozambique
	myanmar burma namibia nauru nepal netherlands holland nicaragua niger nigeria norway oman pakistan
	palau palestine panama paraguay peru philippines poland portugal qatar romania russia rwanda samoa
	senegal serbia seychelles singapore slovakia slovenia somalia spain sudan suriname sweden
	switzerland syria taiwan tajikistan tanzania thailand togo tonga tunisia turkey türkiye
	turkmenistan tuvalu uganda ukraine uruguay uzbekistan vanuatu vatican venezuela vietnam yemen
	zambia zimbabwe scotland wales england britain greenland gaza crimea tibet hong kong macau
	alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii idaho
	illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota
	mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas
	utah vermont virginia washington wisconsin wyoming
	london paris berlin moscow beijing tokyo delhi mumbai kyiv kiev tehran baghdad damascus cairo
	jerusalem riyadh dubai istanbul ankara rome madrid lisbon athens vienna warsaw brussels geneva
	seoul pyongyang taipei manila jakarta bangkok hanoi sydney melbourne toronto ottawa montreal
	vancouver havana caracas bogota lima santiago chicago houston boston atlanta miami seattle
	denver phoenix dallas detroit philadelphia baltimore nashville orleans angeles francisco
	kabul islamabad karachi lahore doha beirut khartoum nairobi lagos johannesburg kharkiv odesa
	odessa mariupol bakhmut kherson minsk tbilisi yerevan baku
	new_york new_jersey new_mexico new_hampshire north_carolina south_carolina north_dakota
	south_dakota west_virginia rhode_island north_korea south_korea south_africa south_sudan
	saudi_arabia sri_lanka new_zealand costa_rica el_salvador puerto_rico united_kingdom
	united_states ivory_coast east_timor sierra_leone papua_new dominican_republic
	los_angeles san_francisco las_vegas san_diego hong_kong tel_aviv abu_dhabi buenos_aires
	mexico_city cape_town`)

func init() {
	// Two-word place names are written with "_" above so that NewWordSet keeps
	// them whole; look-ups use a space.
	for p := range placeNames {
		if strings.Contains(p, "_") {
			delete(placeNames, p)
			placeNames[strings.ReplaceAll(p, "_", " ")] = struct{}{}
		}
	}
}
