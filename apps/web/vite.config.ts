import tailwindcss from '@tailwindcss/vite';
import { tanstackStart } from '@tanstack/react-start/plugin/vite';
import viteReact from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In `vite dev` the API lives on another port; in production the API serves this build itself.
const apiUrl = process.env.LATHE_API_URL ?? 'http://localhost:3000';

export default defineConfig(({ command }) => {
  // The React plugin picks its JSX runtime from NODE_ENV when it is created; without this a
  // plain `vite build` ships React's development JSX runtime.
  if (command === 'build' && !process.env.NODE_ENV) process.env.NODE_ENV = 'production';
  return {
    server: {
      proxy: {
        '/api': { target: apiUrl, changeOrigin: false, ws: true },
        '/health': { target: apiUrl },
        '/openapi.json': { target: apiUrl },
      },
    },
    plugins: [tailwindcss(), tanstackStart(), viteReact()],
  };
});
