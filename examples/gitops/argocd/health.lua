-- Argo CD health for hydron.dev resources, from their standard conditions.
-- Stalled=True: Degraded (a person must act); Ready=True for the current
-- generation: Healthy; anything else: Progressing, with Hydron's own message.
local hs = {status = "Progressing", message = "Waiting for Hydron to reconcile"}
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
if obj.status.observedGeneration ~= nil and obj.metadata.generation ~= nil
    and obj.status.observedGeneration < obj.metadata.generation then
  hs.message = "Hydron has not seen the latest spec yet"
  return hs
end
local ready = nil
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Stalled" and condition.status == "True" then
    return {status = "Degraded", message = condition.reason .. ": " .. (condition.message or "")}
  end
  if condition.type == "Ready" then
    ready = condition
  end
end
if ready ~= nil and ready.status == "True" then
  return {status = "Healthy", message = ready.message or "Ready"}
end
if ready ~= nil then
  hs.message = ready.reason .. ": " .. (ready.message or "")
end
return hs
