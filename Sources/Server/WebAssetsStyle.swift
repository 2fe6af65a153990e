extension WebAssets {
    static let style = #"""
:root { --bg: #111418; --fg: #e8eaed; --muted: #9aa0a6; --accent: #8ab4f8; --card: #1d2127; --mark: #f6c026; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; padding: .75rem 1rem; border-bottom: 1px solid #2c3139; }
h1 { font-size: 1.2rem; margin: 0; } h1 a { color: var(--fg); text-decoration: none; }
.muted { color: var(--muted); font-size: .9rem; }
main { padding: 1rem; max-width: 1400px; margin: 0 auto; }
button, select, input, textarea { font: inherit; color: var(--fg); background: var(--card); border: 1px solid #3c4043; border-radius: 6px; padding: .45rem .7rem; }
button { cursor: pointer; } button:hover { border-color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.tab[aria-pressed="true"] { background: #263244; border-color: var(--accent); }
form { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; margin-bottom: .75rem; }
#q { flex: 1 1 20rem; min-width: 0; font-size: 1.05rem; }
.drop { display: flex; gap: .5rem; align-items: center; border: 2px dashed #3c4043; border-radius: 8px; padding: .3rem .6rem; }
.drop.over { border-color: var(--accent); background: #1a2330; }
.drop input[type=file] { max-width: 14rem; }
#photo-preview { height: 2.5rem; border-radius: 4px; }
.grid { list-style: none; padding: 0; margin: 0; display: grid; gap: .6rem; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); }
.grid li button { width: 100%; padding: 0; overflow: hidden; background: var(--card); text-align: left; position: relative; }
.grid img { display: block; width: 100%; aspect-ratio: 1; object-fit: cover; background: #000; }
.caption { display: flex; justify-content: space-between; gap: .4rem; padding: .3rem .45rem; font-size: .8rem; }
.caption .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.badge { position: absolute; top: .35rem; left: .35rem; background: rgba(0,0,0,.7); padding: .1rem .35rem; border-radius: 4px; font-size: .75rem; }
#more { display: block; margin: 1rem auto; }
#sentinel { height: 1px; }
dialog { width: min(96vw, 1100px); max-height: 94vh; background: var(--card); color: var(--fg); border: 1px solid #3c4043; border-radius: 10px; padding: .75rem; }
dialog::backdrop { background: rgba(0,0,0,.75); }
.viewer-head { display: flex; justify-content: space-between; align-items: center; gap: .5rem; }
.viewer-head h2 { font-size: 1rem; margin: 0; overflow-wrap: anywhere; }
#viewer-image, #viewer-video { display: block; max-width: 100%; max-height: 70vh; margin: .5rem auto; }
.timeline { position: relative; height: 10px; background: #3c4043; border-radius: 5px; margin: .25rem 0; }
.segment { position: absolute; top: 0; bottom: 0; background: var(--mark); border-radius: 5px; }
.viewer-actions { display: flex; gap: .6rem; flex-wrap: wrap; align-items: center; } .viewer-actions a { color: var(--accent); }
#probabilities { list-style: none; padding: 0; max-width: 40rem; }
#probabilities li { display: grid; grid-template-columns: 10rem 1fr 4rem; gap: .5rem; align-items: center; margin: .3rem 0; }
.bar { height: .8rem; background: var(--accent); border-radius: 4px; }
#classify-preview { max-width: 16rem; max-height: 16rem; display: block; margin: .5rem 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
@media (max-width: 600px) {
  main { padding: .5rem; }
  .grid { grid-template-columns: repeat(auto-fill, minmax(110px, 1fr)); gap: .35rem; }
  form > * { flex: 1 1 100%; }
  .drop input[type=file] { max-width: 100%; }
  #probabilities li { grid-template-columns: 7rem 1fr 3.5rem; }
}
"""#
}
