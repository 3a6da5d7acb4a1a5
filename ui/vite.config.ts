// Builds into the Python package, which serves the page; `npm run dev` serves it with
// hot reload and sends /api to a running backend (`kubectl hydron ui --port 8080`).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const backend = process.env.HYDRON_UI_BACKEND ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "../operator/hydron/web/static", emptyOutDir: true },
  server: { proxy: { "/api": { target: backend, changeOrigin: true } } },
});
