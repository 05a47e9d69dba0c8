import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Lathe's dev-server runner sets the port, the accepted Host names (the preview proxy only) and
// the files Vite may serve (this project only); the HMR client connects back through the page's
// own origin, so it works through the preview proxy.
export default defineConfig({
  plugins: [tailwindcss(), react()],
  cacheDir: '.vite',
});
