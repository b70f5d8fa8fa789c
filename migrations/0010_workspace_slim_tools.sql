-- Token-saving mode per workspace: 1 lists only junction__search_tools and junction__call_tool to
-- clients working in the workspace, 0 lists every tool, NULL follows the enclosing workspace and
-- then the slim_tools setting.
ALTER TABLE workspaces ADD COLUMN slim_tools INTEGER CHECK (slim_tools IN (0, 1));
