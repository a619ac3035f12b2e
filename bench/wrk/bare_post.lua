-- The bare POST: the key start's form body sent to bench/urls.py's bare_post view (a 303 and
-- nothing else), the yardstick of what any POST -> 303 costs in this server.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "post_303.lua").start("/bench/bare-post/", {
  {"key", "123 4567"},
  {"consent", "on"},
  {"locale", "en-us"},
  {"tz", "60"},
})
