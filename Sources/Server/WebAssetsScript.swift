extension WebAssets {
    static let script = #"""
"use strict";
const $ = (id) => document.getElementById(id);
const state = { offset: 0, limit: 24, loading: false, hasMore: false, query: null, photo: null, current: null };

function fmtTime(seconds) {
  const s = Math.max(0, seconds);
  const m = Math.floor(s / 60), r = (s - m * 60).toFixed(1).padStart(4, "0");
  return m + ":" + r;
}

async function api(url, options) {
  const response = await fetch(url, Object.assign({ credentials: "same-origin" }, options || {}));
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = body.error ? body.error.message : response.statusText;
    throw new Error(response.status + ": " + message);
  }
  return body;
}

async function loadStats() {
  try {
    const stats = await api("/api/stats");
    $("stats").textContent = stats.media + " items · " + stats.vectors + " vectors · " + stats.model_name;
    const select = $("folder");
    for (const entry of stats.folders) {
      const option = document.createElement("option");
      option.value = entry.folder;
      option.textContent = entry.folder + " (" + entry.count + ")";
      select.appendChild(option);
    }
  } catch (error) { $("stats").textContent = String(error.message); }
}

function currentFilters(params) {
  const type = $("type").value, folder = $("folder").value;
  if (type !== "all") params.set("type", type);
  if (folder) params.set("folder", folder);
}

// A query is a text, a photo, a catalog item ("more like this"), or text combined with one of them.
function startSearch(query) {
  state.query = query;
  state.offset = 0;
  $("results").replaceChildren();
  fetchPage();
}

async function fetchPage() {
  if (state.loading || !state.query) return;
  state.loading = true;
  $("status").textContent = "Searching…";
  const params = new URLSearchParams();
  currentFilters(params);
  params.set("limit", state.limit);
  params.set("offset", state.offset);
  const q = state.query;
  let url, options;
  try {
    if (q.similar) {
      url = "/api/similar/" + q.similar + "?" + params;
    } else if (q.photo) {
      const form = new FormData();
      form.append("image", q.photo, q.photo.name || "photo");
      if (q.text) form.append("q", q.text);
      url = "/api/search?" + params;
      options = { method: "POST", body: form };
    } else {
      params.set("q", q.text);
      url = "/api/search?" + params;
    }
    const page = await api(url, options);
    renderResults(page.results);
    state.offset += page.results.length;
    state.hasMore = page.has_more;
    $("more").hidden = !page.has_more;
    const total = $("results").children.length;
    $("status").textContent = total === 0 ? "No results." : total + " results" + (page.has_more ? "" : " (all)") + " · " + page.took_ms.toFixed(0) + " ms";
  } catch (error) {
    $("status").textContent = "Error " + error.message;
  } finally {
    state.loading = false;
  }
}

function renderResults(results) {
  const list = $("results");
  for (const hit of results) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "result";
    button.dataset.mediaId = hit.media_id;
    const name = hit.path.split("/").pop();
    const label = hit.type === "video" ? name + " at " + fmtTime(hit.start) + " to " + fmtTime(hit.end) : name;
    button.setAttribute("aria-label", label + ", score " + hit.score.toFixed(3));
    const image = document.createElement("img");
    image.src = hit.thumbnail_url;
    image.alt = "";
    image.loading = "lazy";
    const caption = document.createElement("span");
    caption.className = "caption";
    const nameSpan = document.createElement("span");
    nameSpan.className = "name";
    nameSpan.textContent = name;
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = hit.score.toFixed(3);
    caption.append(nameSpan, score);
    button.append(image, caption);
    if (hit.type === "video") {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "▶ " + fmtTime(hit.start) + "–" + fmtTime(hit.end);
      button.append(badge);
    }
    button.addEventListener("click", () => openViewer(hit, button));
    item.append(button);
    list.append(item);
  }
}

function openViewer(hit, opener) {
  state.current = { hit, opener };
  const dialog = $("viewer");
  $("viewer-title").textContent = hit.path;
  const image = $("viewer-image"), video = $("viewer-video");
  const isVideo = hit.type === "video";
  image.hidden = isVideo;
  video.hidden = !isVideo;
  $("timeline").hidden = !isVideo;
  $("play-moment").hidden = !isVideo;
  $("open-original").href = hit.media_url;
  if (isVideo) {
    image.removeAttribute("src");
    // Media fragment: the browser seeks to start and stops at end.
    video.src = hit.media_url + "#t=" + hit.start.toFixed(2) + "," + hit.end.toFixed(2);
    video.dataset.start = hit.start;
    video.dataset.end = hit.end;
    delete video.dataset.free;
    $("viewer-info").textContent = "Moment " + fmtTime(hit.start) + "–" + fmtTime(hit.end) + ", best at " + fmtTime(hit.peak) + " · score " + hit.score.toFixed(3);
    video.addEventListener("loadedmetadata", markSegment, { once: true });
    video.play().catch(() => {});
  } else {
    video.pause();
    video.removeAttribute("src");
    image.src = hit.media_url;
    image.alt = hit.path.split("/").pop();
    $("viewer-info").textContent = "Score " + hit.score.toFixed(3);
  }
  if (!dialog.open) dialog.showModal();
  $("more-like-this").focus();
}

function markSegment() {
  const video = $("viewer-video");
  const duration = video.duration;
  if (!isFinite(duration) || duration <= 0) return;
  const start = Number(video.dataset.start), end = Math.min(duration, Number(video.dataset.end));
  const segment = $("segment");
  segment.style.left = (100 * start / duration) + "%";
  segment.style.width = Math.max(0.5, 100 * (end - start) / duration) + "%";
}

function closeViewer() {
  const video = $("viewer-video");
  video.pause();
  $("viewer").close();
}

function setPhoto(file) {
  state.photo = file;
  const preview = $("photo-preview");
  if (file) {
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
    $("photo-clear").hidden = false;
    $("drop-label").textContent = file.name;
  } else {
    preview.hidden = true;
    preview.removeAttribute("src");
    $("photo-clear").hidden = true;
    $("photo").value = "";
    $("drop-label").textContent = "Drop a photo or choose one";
  }
}

function showPage(name) {
  const search = name === "search";
  $("search-page").hidden = !search;
  $("classify-page").hidden = search;
  $("tab-search").setAttribute("aria-pressed", String(search));
  $("tab-classify").setAttribute("aria-pressed", String(!search));
}

async function classify(event) {
  event.preventDefault();
  const file = $("classify-photo").files[0];
  if (!file) return;
  const preview = $("classify-preview");
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  const form = new FormData();
  form.append("image", file, file.name);
  form.append("labels", $("labels").value);
  const list = $("probabilities");
  list.replaceChildren();
  try {
    const answer = await api("/api/classify", { method: "POST", body: form });
    for (const entry of answer.labels) {
      const item = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = entry.label;
      const bar = document.createElement("div");
      bar.className = "bar";
      bar.style.width = (100 * entry.probability).toFixed(1) + "%";
      bar.setAttribute("role", "presentation");
      const value = document.createElement("span");
      value.textContent = (100 * entry.probability).toFixed(1) + "%";
      item.append(label, bar, value);
      list.append(item);
    }
  } catch (error) {
    const item = document.createElement("li");
    item.textContent = "Error " + error.message;
    list.append(item);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  loadStats();
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("q").value.trim();
    if (!text && !state.photo) { $("status").textContent = "Type a text or add a photo."; return; }
    startSearch({ text, photo: state.photo });
  });
  $("photo").addEventListener("change", () => setPhoto($("photo").files[0] || null));
  $("photo-clear").addEventListener("click", () => setPhoto(null));
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    const file = event.dataTransfer.files[0];
    if (file) { setPhoto(file); startSearch({ text: $("q").value.trim(), photo: file }); }
  });
  drop.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); $("photo").click(); } });
  for (const id of ["type", "folder"]) $(id).addEventListener("change", () => { if (state.query) startSearch(state.query); });
  $("more").addEventListener("click", fetchPage);
  new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting) && state.hasMore) fetchPage();
  }).observe($("sentinel"));
  $("viewer-close").addEventListener("click", closeViewer);
  $("viewer").addEventListener("close", () => {
    $("viewer-video").pause();
    if (state.current && state.current.opener && document.body.contains(state.current.opener)) state.current.opener.focus();
  });
  $("more-like-this").addEventListener("click", () => {
    const hit = state.current && state.current.hit;
    if (!hit) return;
    closeViewer();
    $("q").value = "";
    setPhoto(null);
    startSearch({ similar: hit.media_id });
    $("status").textContent = "More like " + hit.path.split("/").pop() + "…";
  });
  $("play-moment").addEventListener("click", () => {
    const video = $("viewer-video");
    video.currentTime = Number(video.dataset.start);
    delete video.dataset.free;
    video.play().catch(() => {});
  });
  $("viewer-video").addEventListener("timeupdate", () => {
    const video = $("viewer-video");
    // Stop once at the end of the moment; after that the viewer may play on freely.
    if (video.currentTime > Number(video.dataset.end) + 0.25 && !video.dataset.free) { video.dataset.free = "1"; video.pause(); }
  });
  $("tab-search").addEventListener("click", () => showPage("search"));
  $("tab-classify").addEventListener("click", () => showPage("classify"));
  $("classify-form").addEventListener("submit", classify);
  $("q").focus();
});
"""#
}
