-- Step 4 of the schema is another change's; this placeholder keeps the
-- steps numbered without gaps until it lands and replaces this file.
SELECT 1;
