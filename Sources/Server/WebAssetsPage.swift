/// The page, its style and its script live in Swift strings so the binary serves them without a
/// resource bundle, a build step or a CDN.
enum WebAssets {
    static let page = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>clip-search</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1><a href="/" id="home">clip-search</a></h1>
  <nav aria-label="Pages">
    <button type="button" id="tab-search" class="tab" aria-pressed="true">Search</button>
    <button type="button" id="tab-classify" class="tab" aria-pressed="false">Zero-shot</button>
  </nav>
  <span id="stats" class="muted" aria-live="polite"></span>
</header>
<main>
<section id="search-page" aria-label="Search">
  <form id="search-form" role="search">
    <label for="q" class="visually-hidden">Search text</label>
    <input id="q" name="q" type="search" placeholder="Describe what you look for, in any language…" autocomplete="off">
    <div id="drop" class="drop" tabindex="0" aria-label="Drop a photo here or press Enter to choose one">
      <span id="drop-label">Drop a photo or choose one</span>
      <input id="photo" type="file" accept="image/*" aria-label="Photo to search with">
      <img id="photo-preview" alt="" hidden>
      <button type="button" id="photo-clear" hidden>Remove photo</button>
    </div>
    <label>Type
      <select id="type"><option value="all">All</option><option value="photo">Photos</option><option value="video">Videos</option></select>
    </label>
    <label>Folder <select id="folder"><option value="">All folders</option></select></label>
    <button type="submit" id="search-button">Search</button>
  </form>
  <p id="status" class="muted" role="status" aria-live="polite"></p>
  <ol id="results" class="grid" aria-label="Results"></ol>
  <button type="button" id="more" hidden>Load more</button>
  <div id="sentinel" aria-hidden="true"></div>
</section>
<section id="classify-page" aria-label="Zero-shot classification" hidden>
  <form id="classify-form">
    <label for="classify-photo">Photo</label>
    <input id="classify-photo" type="file" accept="image/*" required>
    <label for="labels">Labels (comma or one per line)</label>
    <textarea id="labels" rows="3">a cat, a dog, a car, a beach, food</textarea>
    <button type="submit" id="classify-button">Classify</button>
  </form>
  <img id="classify-preview" alt="Photo being classified" hidden>
  <ol id="probabilities" aria-label="Probabilities"></ol>
</section>
</main>
<dialog id="viewer" aria-labelledby="viewer-title">
  <div class="viewer-head">
    <h2 id="viewer-title"></h2>
    <button type="button" id="viewer-close" aria-label="Close">✕</button>
  </div>
  <img id="viewer-image" alt="" hidden>
  <video id="viewer-video" controls preload="metadata" hidden></video>
  <div id="timeline" class="timeline" hidden aria-hidden="true"><div id="segment" class="segment"></div></div>
  <p id="viewer-info" class="muted"></p>
  <div class="viewer-actions">
    <button type="button" id="play-moment" hidden>Play moment</button>
    <button type="button" id="more-like-this">More like this</button>
    <a id="open-original" target="_blank" rel="noopener">Open original</a>
  </div>
</dialog>
</body>
</html>
"""#
}
