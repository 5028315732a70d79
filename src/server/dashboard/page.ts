/** The dashboard's HTML shell. It holds no data; everything is rendered by the script with textContent. */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>weft</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/dashboard.css">
<script type="module" src="/assets/dashboard.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <span class="brand">weft</span>
  <nav class="top" aria-label="main">
    <a href="#/workflows" data-nav="workflows">Workflows</a>
    <a href="#/runs" data-nav="runs">Runs</a>
  </nav>
</header>
<main id="main" tabindex="-1"><p>Loading…</p></main>
<div id="announcer" class="sr-only" aria-live="polite" role="status"></div>
</body>
</html>`;
}
