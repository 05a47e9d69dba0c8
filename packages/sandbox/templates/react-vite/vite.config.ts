import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The preview is served through a proxy on another host name: accept any Host, and let the HMR
// client connect back through the page's own origin (no fixed client port).
export default defineConfig({
  plugins: [tailwindcss(), react()],
  cacheDir: '.vite',
  server: { allowedHosts: true },
});
