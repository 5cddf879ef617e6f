-- Pandoc Lua filter: turns the markdown docs into something that reads well
-- as a man page (scripts/man.sh runs it).
--
-- * Tables become definition lists: the first column is the term; the other
--   columns follow as the definition. groff tables from pandoc wrap badly at
--   80 columns, and these are reference tables keyed by their first column.
-- * A link to another doc becomes plain text: its man page name when it has
--   one (config.md -> tend.conf(5)), else its text. An anchor (#section) or a
--   relative path means nothing in a terminal. External URLs are kept.
-- * With metadata `man-shift-headings: true` (a doc written as a web page,
--   like docs/config.md) the first level-1 heading is dropped (the .TH line
--   carries the title) and every later heading moves up one level, so its
--   sections become .SH. Level-1 headings in capitals before it (a NAME,
--   SYNOPSIS, DESCRIPTION preamble that man.sh puts in front) stay.

local man_pages = {
  ['tend.md'] = 'tend(8)',
  ['tendctl.md'] = 'tendctl(1)',
  ['config.md'] = 'tend.conf(5)',
}

local function is_external(target)
  return target:match('^%a[%w+.-]*:') ~= nil
end

-- The doc file a relative link points at ("config.md#x" -> "config.md").
local function doc_file(target)
  local path = target:gsub('#.*$', '')
  return path:match('([^/]+)$')
end

function Link(el)
  if is_external(el.target) then
    return nil
  end
  local file = doc_file(el.target)
  if file ~= nil and man_pages[file] ~= nil then
    local text = pandoc.utils.stringify(el.content)
    -- "[config.md](config.md)" names the page; "[see the keys](config.md#k)"
    -- keeps its words and adds where to read on.
    if text == file or text == el.target then
      return pandoc.Strong(man_pages[file])
    end
    local out = el.content:clone()
    out:extend({pandoc.Space(), pandoc.Str('(' .. man_pages[file] .. ')')})
    return out
  end
  if file ~= nil and file:match('%.md$') and pandoc.utils.stringify(el.content) == el.target then
    return pandoc.Emph(pandoc.Str('docs/' .. file))
  end
  return el.content
end

local function cell_inlines(cell)
  return pandoc.utils.blocks_to_inlines(cell.contents)
end

local function is_empty(inlines)
  return pandoc.utils.stringify(inlines):match('^%s*$') ~= nil
end

-- One definition from a row: with two columns, the second column as is;
-- with more, every other column labelled with its header, the last one in a
-- paragraph of its own.
local function definition(headers, cells)
  if #cells == 2 then
    return {pandoc.Plain(cell_inlines(cells[2]))}
  end
  local blocks = {}
  local middle = pandoc.List()
  for i = 2, #cells do
    local value = cell_inlines(cells[i])
    if not is_empty(value) then
      local item = pandoc.List()
      if headers[i] ~= nil and not is_empty(headers[i]) then
        item:insert(pandoc.Emph(headers[i]))
        item:extend({pandoc.Str(':'), pandoc.Space()})
      end
      item:extend(value)
      if i == #cells then
        if #middle > 0 then
          table.insert(blocks, pandoc.Para(middle))
        end
        table.insert(blocks, pandoc.Plain(item))
        middle = nil
      else
        if #middle > 0 then
          middle:extend({pandoc.Str(';'), pandoc.Space()})
        end
        middle:extend(item)
      end
    end
  end
  if middle ~= nil and #middle > 0 then
    table.insert(blocks, pandoc.Plain(middle))
  end
  if #blocks == 0 then
    table.insert(blocks, pandoc.Plain({}))
  end
  return blocks
end

function Table(tbl)
  local headers = {}
  if #tbl.head.rows > 0 then
    for i, cell in ipairs(tbl.head.rows[1].cells) do
      headers[i] = cell_inlines(cell)
    end
  end
  local items = {}
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      local cells = row.cells
      if #cells == 1 then
        table.insert(items, {cell_inlines(cells[1]), {{pandoc.Plain({})}}})
      elseif #cells > 1 then
        table.insert(items, {cell_inlines(cells[1]), {definition(headers, cells)}})
      end
    end
  end
  return pandoc.DefinitionList(items)
end

function Pandoc(doc)
  if not doc.meta['man-shift-headings'] then
    return nil
  end
  local blocks = pandoc.List()
  local seen_title = false
  for _, b in ipairs(doc.blocks) do
    if b.t == 'Header' and not seen_title and b.level == 1 then
      -- A heading before the title belongs to the preamble: keep it.
      if pandoc.utils.stringify(b.content):match('^[A-Z ]+$') then
        blocks:insert(b)
      else
        seen_title = true
      end
    elseif b.t == 'Header' and seen_title then
      b.level = math.max(1, b.level - 1)
      blocks:insert(b)
    else
      blocks:insert(b)
    end
  end
  doc.blocks = blocks
  return doc
end
