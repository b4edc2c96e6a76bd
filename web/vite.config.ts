import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The head every page shares, written once: Vite puts it first in each page's <head>, in the build and
 * on the dev server alike. Each page keeps only what is its own (title, script, robots or description).
 */
const sharedHead = (): Plugin => ({
  name: 'paredao-shared-head',
  transformIndexHtml: () =>
    [
      { tag: 'meta', attrs: { charset: 'utf-8' } },
      { tag: 'meta', attrs: { name: 'viewport', content: 'width=device-width, initial-scale=1' } },
      { tag: 'meta', attrs: { name: 'color-scheme', content: 'dark' } },
      { tag: 'meta', attrs: { name: 'theme-color', content: '#0b1030' } },
      { tag: 'link', attrs: { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' } },
    ].map((t) => ({ ...t, injectTo: 'head-prepend' as const })),
});

export default defineConfig({
  root,
  plugins: [sharedHead()],
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
    // The proof-of-work worker as a classic script file of its own, so `worker-src 'self'` suffices.
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
