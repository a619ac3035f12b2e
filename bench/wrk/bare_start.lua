-- The bare start: the key start's form body sent to bench/urls.py's bare_start view (the
-- client's rate-limit counter, one start record, a 303 and nothing else), the yardstick of
-- what a POST -> 303 with a start's two writes costs in this server.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "post_303.lua").start("/bench/bare-start/", {
  {"key", "123 4567"},
  {"consent", "on"},
  {"locale", "en-us"},
  {"tz", "60"},
})
