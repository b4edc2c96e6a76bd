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

/**
 * The vote page's early start (src/vote-boot.ts) as a script of its own, `async` in <head>: it runs as
 * soon as it is fetched, not after the page is parsed as the page's module script is (Vite bundles every
 * module script of a page into one). A separate build input, so the tag names its hashed file.
 */
const voteBoot = (): Plugin => ({
  name: 'paredao-vote-boot',
  transformIndexHtml: {
    order: 'post',
    handler: (_html, ctx) => {
      if (!/(^|\/)index\.html$/u.test(ctx.path)) return [];
      let src = '/src/vote-boot.ts';
      if (ctx.bundle) {
        const chunk = Object.values(ctx.bundle).find((c) => c.type === 'chunk' && c.isEntry && c.name === 'vote-boot');
        if (!chunk) throw new Error('no vote-boot chunk in the bundle');
        src = `/${chunk.fileName}`;
      }
      return [{ tag: 'script', attrs: { type: 'module', async: true, crossorigin: true, src }, injectTo: 'head' }];
    },
  },
});

export default defineConfig({
  root,
  plugins: [sharedHead(), voteBoot()],
  // Relative to the site root so nginx can serve dist/ as-is.
  base: '/',
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    // Vite 8 bundles with Rolldown; `rollupOptions` is only a deprecated alias of this.
    rolldownOptions: {
      input: {
        index: resolve(root, 'index.html'),
        'vote-boot': resolve(root, 'src/vote-boot.ts'),
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
