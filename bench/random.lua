-- Requests a random package of the seeded set each time: PATH_TEMPLATE has one %06d.
-- Each wrk thread gets its own seed: with one seed (os.time() alone) both threads asked for the
-- same packages in the same order, and the second thread's reads hit the cache the first filled.
local template = os.getenv("PATH_TEMPLATE")
local count = tonumber(os.getenv("PACKAGES") or "1000")
local token = os.getenv("BEARER")
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
end

request = function()
  local headers = {}
  if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", string.format(template, math.random(1, count)), headers)
end
