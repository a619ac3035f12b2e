-- Issue survey start: POST /survey/ -> 303 to the vendor, with the demo site's required
-- fields (the printing issue's printer model, the urgency choice, the consent tick).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "post_303.lua").start("/survey/", {
  {"issue", "printing"},
  {"name", "Jane Doe"},
  {"details", "Printer offline since 9:00"},
  {"cf_printer_model", "HP 4000"},
  {"cf_urgency", "high"},
  {"consent", "on"},
  {"locale", "en-us"},
  {"tz", "60"},
})
