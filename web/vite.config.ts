import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  // Relative to the site root so nginx can serve dist/ as-is.
  base: '/',
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    // Vite 8 bundles with Rolldown; `rollupOptions` is only a deprecated alias of this.
    rolldownOptions: {
      input: {
        index: resolve(root, 'index.html'),
        resultado: resolve(root, 'resultado.html'),
        painel: resolve(root, 'painel.html'),
        admin: resolve(root, 'admin.html'),
      },
    },
    // The CSP will be `default-src 'self'`: never inline assets as data: URLs.
    assetsInlineLimit: 0,
  },
  worker: {
    // ALTCHA's proof-of-work workers ship as classic scripts; emit them as files so `worker-src 'self'` suffices.
    format: 'iife',
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:3000', changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:3000', changeOrigin: false },
    },
  },
});
