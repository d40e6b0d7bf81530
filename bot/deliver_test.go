package bot

import (
	"strings"
	"testing"

	"github.com/attache-bot/attache/bot/discordtest"
)

// checkLogClean fails when the captured log holds any of the secrets.
func checkLogClean(t *testing.T, logs string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds the secret %q:\n%s", s, logs)
		}
	}
}

// A moderator's URL with credentials and a query string reaches neither
// the log nor the reply in clear.
func TestE2EArticleURLCredentialsNotLogged(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{})
	ps := newPageServer(t)
	raw := strings.Replace(ps.URL, "http://", "http://editor:hunter2@", 1) + "/gone?token=qs-secret-77"
	it := e.f.Interaction(discordtest.InteractionSpec{Name: "article", Permissions: modPerms, Options: []discordtest.Option{
		{Name: "add", Type: 1, Options: []discordtest.Option{{Name: "url", Value: raw}}}}})
	got := e.final(t, it, hasAll("couldn't add"))
	e.logs.waitFor(t, `command="article add"`, waitLong)
	logs := e.logs.String()
	if !strings.Contains(logs, "fetch article") {
		t.Fatalf("the failed fetch was not logged:\n%s", logs)
	}
	checkLogClean(t, logs, "hunter2", "editor:", "qs-secret-77")
	checkLogClean(t, got, "hunter2", "qs-secret-77")
}
