-- Session key start: POST /key/ -> 303 to the vendor (see post_303.lua for the arguments).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "post_303.lua").start("/key/", {
  {"key", "123 4567"},
  {"locale", "en-us"},
  {"tz", "60"},
})
