-- Requests every package of the seeded set once (PATH_TEMPLATE has one %06d), in order, then ends
-- wrk: what `bench/run.sh --warm` runs twice per route, so that every release list, metadata and
-- manifest is stored (from its second read; a long-running registry's steady state). Run it with -t1: wrk waits out
-- its whole duration even when its threads stop, so the script exits the process itself once every
-- package (and the requests still in flight when the last was sent) has been answered.
local template = os.getenv("PATH_TEMPLATE")
local count = tonumber(os.getenv("PACKAGES") or "1000")
local in_flight = tonumber(os.getenv("CONNECTIONS") or "64")
local next_package = 1
local answered = 0

request = function()
  local k = next_package
  next_package = next_package + 1
  if k > count then k = ((k - 1) % count) + 1 end
  return wrk.format("GET", string.format(template, k))
end

response = function(status, headers, body)
  answered = answered + 1
  if answered >= count + in_flight then os.exit(0) end
end
