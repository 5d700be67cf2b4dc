// Build of /dashboard_lib.bundle.js (src/dashboard_lib.ts), the library Kubeflow's apps load from
// the dashboard's origin. A second build after the app's (`npm run build` runs both): one UMD file
// named as Kubeflow names it, with the global `centraldashboard`, added to dist/ beside index.html
// (not hashed: apps ask for this exact path; the server serves it with `Cache-Control: no-cache`
// and an ETag, as it does index.html).
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    copyPublicDir: false,
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: true,
    lib: {
      entry: 'src/dashboard_lib.ts',
      name: 'centraldashboard',
      formats: ['umd'],
      fileName: () => 'dashboard_lib.bundle.js',
    },
  },
});
