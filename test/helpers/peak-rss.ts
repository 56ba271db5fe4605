// Loaded with `node --import` into a CLI run by a test: on exit, the process says the most
// memory it held (resident set, in MB), so a test can bound it without timing anything.
process.on('exit', () => {
  process.stderr.write(`peak-rss-mb ${Math.round(process.resourceUsage().maxRSS / 1024)}\n`);
});
