import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { api } from '../lib/api';
import { useTheme } from '../lib/theme';
import { IconMoon, IconSettings, IconSignOut, IconSun } from './icons';
import { SettingsDialog } from './settings-dialog';
import { IconButton } from './ui';

/** Theme, settings and sign-out: the same three controls in every signed-in header. */
export function AccountControls() {
  const [theme, toggleTheme] = useTheme();
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
