// The build step the template runs (npm run build): src/ to dist/.
const fs = require("fs");
fs.mkdirSync("dist", { recursive: true });
for (const file of fs.readdirSync("src")) fs.copyFileSync(`src/${file}`, `dist/${file}`);
