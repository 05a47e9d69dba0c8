import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { api } from '../lib/api';
import { sessionQuery } from '../lib/queries';
import { useTheme } from '../lib/theme';
import { IconMoon, IconSettings, IconSignOut, IconSun, IconUsers } from './icons';
import { SettingsDialog } from './settings-dialog';
import { IconButton } from './ui';

/** Theme, settings and sign-out (and, for admins, the admin page): the same controls in every signed-in header. */
export function AccountControls() {
  const [theme, toggleTheme] = useTheme();
  const session = useQuery(sessionQuery);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  async function signOut() {
    await api.signOut();
    queryClient.clear();
    await navigate({ to: '/login' });
  }

  return (
    <>
      {session.data?.user.role === 'admin' && (
        <Link
          to="/admin"
          aria-label="Admin: users"
          title="Admin: users"
          className="grid size-8 shrink-0 place-items-center rounded-md text-muted max-lg:size-10 transition hover:bg-raised hover:text-fg"
        >
          <IconUsers />
        </Link>
      )}
      <IconButton label={theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'} onClick={toggleTheme}>
        {theme === 'dark' ? <IconSun /> : <IconMoon />}
      </IconButton>
      <IconButton label="Settings" onClick={() => setSettingsOpen(true)}>
        <IconSettings />
      </IconButton>
      <IconButton label="Sign out" onClick={signOut}>
        <IconSignOut />
      </IconButton>
      <SettingsDialog open={settingsOpen} onClose={() => setSettingsOpen(false)} />
    </>
  );
}
