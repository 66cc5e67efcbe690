-- 0003: Enterprise Grid. A Grid sync reads the org's workspaces from
-- admin.teams.list or, when the token lacks admin.teams:read, from
-- auth.teams.list, which lists only the workspaces the app is approved
-- for. The snapshot records where its workspaces came from and what that
-- leaves out, so that nobody takes part of an org for the whole of it.

ALTER TABLE snapshot ADD COLUMN workspace_source TEXT;  -- team.info, admin.teams.list or auth.teams.list
ALTER TABLE snapshot ADD COLUMN coverage_note TEXT;     -- what the snapshot may lack; NULL when nothing
