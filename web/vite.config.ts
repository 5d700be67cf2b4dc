// Build of the kfdash SPA. dist/ is embedded into the server binary, which serves it under a
// strict CSP (default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:):
// no inline scripts, no source maps, no external fonts or CDNs.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

export default defineConfig({
  base: '/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    // The polyfill would be an inline <script>, which the CSP forbids.
    modulePreload: { polyfill: false },
    // Fonts must never become data: URIs (font-src falls back to 'self').
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
});
