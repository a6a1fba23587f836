--[[
excerpt.lua - a pandoc filter that pulls dialogue excerpts out of the
annotated session files (sessions/<proto>/*.session, docs/session-format.md)
into the slides, so no dialogue on a slide is ever typed twice.

A deck asks for an excerpt with an empty code block:

    ```{.session file="pop3/basic.session" steps="0-3"}
    ```

and gets, in its place, the C:/S: lines of those steps as they are in the
file (steps="N-M", "N", "N-" for "to the end", or several of these
separated by commas; step 0 is the greeting, step n starts at the n-th
"C:" line and runs to the next), with state markers ("= TRANSACTION") and TLS markers ("~ TLS")
shown where they fall.  Patterns are shown in a form a reader takes as
"something varies here": {{n}} as <n>, {{*}} and {{...}} as "...", a
masked secret as the public lab value from the file's header when there is
one, and the base64 SASL forms computed from it.  The annotations (">" lines) of those steps go into the slide's
speaker notes, so the presenter has the file's own explanation at hand.

A missing file, a missing step or an unknown attribute stops the build:
a slide must never show an empty or stale excerpt.

The same goes for command tables: an empty block

    ```{.commands proto="imap" state="SELECTED"}
    ```

becomes the table tools/statedot prints from proto/imap.def (with state=,
only the commands that first become valid in that state).

The directory holding sessions/ is the metadata field session-dir
(default "sessions"), and the statedot program the field statedot; the
Makefile sets both.
]]

local session_dir = "sessions"
local statedot = "build/bin/statedot"

local function fail(msg)
  error("excerpt.lua: " .. msg, 0)
end

-- read_lines - the file's lines, without line ends.
local function read_lines(path)
  local f = io.open(path, "r")
  if f == nil then
    fail("cannot open " .. path)
  end
  local lines = {}
  for line in f:lines() do
    lines[#lines + 1] = line:gsub("\r$", "")
  end
  f:close()
  return lines
end

-- parse - the header (name -> value) and the body lines of a session.
local function parse(path)
  local lines = read_lines(path)
  if lines[1] ~= "maillab-session 1" then
    fail(path .. ": not a maillab session file (version 1)")
  end
  local header, i = {}, 2
  while i <= #lines and lines[i] ~= "" do
    local name, value = lines[i]:match("^([^:]+):%s*(.*)$")
    if name then
      header[name] = value
    end
    i = i + 1
  end
  local body = {}
  for j = i + 1, #lines do
    body[#body + 1] = lines[j]
  end
  return header, body
end

-- base64 - RFC 4648 §4, to show what a SASL line really carries.
local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(data)
  local out = {}
  for i = 1, #data, 3 do
    local a, b, c = data:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local quad = {}
    for k = 3, 0, -1 do
      local v = math.floor(n / 64 ^ k) % 64
      quad[#quad + 1] = B64:sub(v + 1, v + 1)
    end
    if not b then quad[3] = "=" end
    if not c then quad[4] = "=" end
    out[#out + 1] = table.concat(quad)
  end
  return table.concat(out)
end

-- placeholder - what {{kind:args}} stands for, in a form a reader gets:
-- a masked secret is shown with the public lab value from the header,
-- base64 forms are computed from it (they hide nothing, which is the
-- point), and digests that need MD5 are described.
local function placeholder(inner, header)
  local kind, rest = inner:match("^([%w_-]+):(.*)$")
  local function secret(name)
    return header["secret " .. name]
  end
  if kind == "secret" then
    return secret(rest) or "********"
  elseif kind == "base64" and secret(rest) then
    return base64(secret(rest))
  elseif kind == "plain" then
    local user, name = rest:match("^([^:]*):(.*)$")
    if user and secret(name) then
      return base64("\0" .. user .. "\0" .. secret(name))
    end
  elseif kind == "apop" then
    return "<MD5 of timestamp and password, 32 hex digits>"
  elseif kind == "cram" then
    local user = rest:match("^([^:]*)")
    return "<base64 of \"" .. (user or "user") .. " \" and the HMAC-MD5 digest>"
  end
  return "<" .. inner .. ">"
end

-- show - a server or client line with its patterns made readable.
local function show(text, header)
  text = text:gsub("{{{{", "\1")
  text = text:gsub("{{([^{}]*)}}", function(inner)
    if inner == "..." or inner == "*" then return "..." end
    if inner == "n" or inner == "word" then return "<" .. inner .. ">" end
    return placeholder(inner, header)
  end)
  return (text:gsub("\1", "{{"))
end

-- excerpt - the code lines and the annotations of the steps @wanted
-- says (a function of the step number).
local function excerpt(header, body, wanted, last)
  local step, code, notes, seen, after_note = 0, {}, {}, -1, false
  for _, line in ipairs(body) do
    local mark, rest = line:match("^(%S+) ?(.*)$")
    if mark == "C:" then
      step = step + 1
    end
    if mark and wanted(step) then
      seen = math.max(seen, step)
      if mark == "C:" or mark == "S:" then
        code[#code + 1] = mark .. " " .. show(rest, header)
      elseif mark == "=" then
        code[#code + 1] = "                                  [" .. rest .. "]"
      elseif mark == "~" then
        code[#code + 1] = "   ~~~~ TLS handshake ~~~~"
      elseif mark == ">" and after_note then
        -- consecutive ">" lines are one annotation, wrapped
        notes[#notes] = notes[#notes] .. " " .. rest
      elseif mark == ">" then
        notes[#notes + 1] = rest
      end
    end
    after_note = mark == ">"
  end
  if seen < last then
    fail("the file has no step " .. last)
  end
  return code, notes
end

-- parse_steps - "N", "N-M", "N-" (to the end), or several of them
-- separated by commas; returns the membership test and the last step.
local function parse_steps(spec, count)
  local ranges, last = {}, 0
  for part in spec:gmatch("[^,]+") do
    local a, b = part:match("^%s*(%d+)%-(%d*)%s*$")
    if a == nil then
      a = part:match("^%s*(%d+)%s*$") or fail("steps= is N, N-M or N-, comma-separated: " .. spec)
      b = a
    end
    a, b = tonumber(a), (b == "" and count or tonumber(b))
    ranges[#ranges + 1] = {a, b}
    last = math.max(last, b)
  end
  return function(step)
    for _, r in ipairs(ranges) do
      if step >= r[1] and step <= r[2] then return true end
    end
    return false
  end, last
end

function Meta(meta)
  if meta["session-dir"] then
    session_dir = pandoc.utils.stringify(meta["session-dir"])
  end
  if meta["statedot"] then
    statedot = pandoc.utils.stringify(meta["statedot"])
  end
end

-- check_attributes - refuse attributes a block does not know.
local function check_attributes(block, known)
  for name, _ in pairs(block.attributes) do
    if not known[name] then
      fail("unknown attribute " .. name)
    end
  end
end

-- commands - the table statedot draws from a protocol's .def file.
local function commands(block)
  check_attributes(block, {proto = true, state = true})
  local args = {"table", block.attributes["proto"] or fail("commands needs proto=")}
  if block.attributes["state"] then
    args[#args + 1] = block.attributes["state"]
  end
  local ok, out = pcall(pandoc.pipe, statedot, args, "")
  if not ok then
    fail(statedot .. " " .. table.concat(args, " ") .. " failed")
  end
  return pandoc.read(out, "markdown").blocks
end

function CodeBlock(block)
  if block.classes:includes("commands") then
    return commands(block)
  end
  if not block.classes:includes("session") then
    return nil
  end
  check_attributes(block, {file = true, steps = true})
  local file = block.attributes["file"] or fail("a session block needs file=")
  local header, body = parse(session_dir .. "/" .. file)
  local count = 0
  for _, line in ipairs(body) do
    if line:match("^C:") then count = count + 1 end
  end
  -- steps="N", "N-M", "N-" (to the end), comma-separated; none: all
  local wanted, last = parse_steps(block.attributes["steps"] or "0-", count)
  local code, notes = excerpt(header, body, wanted, last)
  local out = {
    pandoc.CodeBlock(table.concat(code, "\n"), {class = "dialogue"}),
    pandoc.Div({pandoc.Para({pandoc.Str("from sessions/" .. file ..
      (header.title and (": " .. header.title) or ""))})}, {class = "source"}),
  }
  if #notes > 0 then
    local items = {}
    for _, n in ipairs(notes) do
      -- the annotations use Markdown's inline marks ("RFC 1939", `code`)
      local first = pandoc.read(n, "markdown").blocks[1]
      local inlines = (first and first.content) or {pandoc.Str(n)}
      items[#items + 1] = {pandoc.Plain(inlines)}
    end
    out[#out + 1] = pandoc.Div({pandoc.BulletList(items)}, {class = "notes"})
  end
  return out
end

return {{Meta = Meta}, {CodeBlock = CodeBlock}}
