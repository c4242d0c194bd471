// Builds the console into dist/, which the gateway serves at / (src/scfledger/api/console.py).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  // Asset URLs are relative to index.html's <base href="/">: the gateway may rewrite it.
  base: "./",
  build: {
    outDir: "dist",
    assetsDir: "assets",
    sourcemap: false,
    // Ant Design and ECharts are large; one vendor chunk each keeps the app chunk small.
    chunkSizeWarningLimit: 1600,
    rollupOptions: {
      output: {
        manualChunks: {
          react: ["react", "react-dom", "react-router"],
          antd: ["antd", "@ant-design/icons"],
          echarts: ["echarts"],
        },
      },
    },
  },
  server: {
    // `npm run dev` next to a gateway on :8000 (scf up): the API, same origin for the cookie.
    proxy: { "/v1": "http://127.0.0.1:8000" },
  },
});
