/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The daemon serves dist/ at / on its TCP listener, same origin as the API, under a CSP of
// default-src 'self': everything (scripts, styles, fonts) must be bundled, nothing inline.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 700,
    // Vite inlines small assets as data: URLs; the CSP allows those only for images.
    assetsInlineLimit: 0,
  },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
  },
});
