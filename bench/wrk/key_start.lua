-- Session key start: POST /key/ -> 303 to the vendor (see post_303.lua for the arguments),
-- with the consent tick the demo site asks for on its key form too.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "post_303.lua").start("/key/", {
  {"key", "123 4567"},
  {"consent", "on"},
  {"locale", "en-us"},
  {"tz", "60"},
})
