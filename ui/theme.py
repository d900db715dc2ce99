"""The chat's look: CSS for the rendered HTML, the page CSS, the Gradio theme and the small script
that makes citation markers bring their source card into view. Static strings only."""

from __future__ import annotations

from typing import Any

# Colours given to authors (by a stable hash of the name) so blocks and cards of one author match.
AUTHOR_COLOURS = ("#8c2f39", "#1f5f8b", "#3f6b35", "#8a5a00", "#5b3f8c", "#2f6f6a")

_AUTHOR_CSS = "\n".join(f".ac{i} {{ --ac: {c}; }}" for i, c in enumerate(AUTHOR_COLOURS))

# Shared by the chat, sources, lookup and reader components (Gradio scopes it to each).
CONTENT_CSS = (
    _AUTHOR_CSS
    + """
.attest-chat, .attest-sources, .attest-lookup, .attest-reader {
  font-family: "Iowan Old Style", "Palatino Linotype", Palatino, "Book Antiqua", Georgia, serif;
  color: #2b2622; line-height: 1.55; font-size: 16px;
}
.attest-chat code, .attest-sources code, .attest-lookup code, .attest-reader code {
  font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px;
}
.welcome { background: #fbf8f2; border: 1px solid #e8dfcf; border-radius: 14px; padding: 18px 22px; }
.welcome h3 { margin: 0 0 6px; font-size: 20px; color: #5a2a27; }
.welcome p { margin: 6px 0; color: #4a433c; }
.turn { margin: 0 0 20px; }
.msg { display: flex; margin: 6px 0; }
.msg.user { justify-content: flex-end; }
.msg .bubble { border-radius: 14px; padding: 12px 16px; max-width: 92%; }
.msg.user .bubble {
  background: #5a2a27; color: #fdf8f1; font-family: system-ui, sans-serif; font-size: 15px;
  border-bottom-right-radius: 4px;
}
.msg.bot .bubble {
  background: #fffdf9; border: 1px solid #e8dfcf; border-bottom-left-radius: 4px;
  box-shadow: 0 1px 2px rgba(60, 40, 20, .06); width: 92%;
}
.answer-text { margin: 4px 0; }
.byline, .author-block h4 {
  font-family: system-ui, sans-serif; font-size: 12px; letter-spacing: .04em; text-transform: uppercase;
  color: var(--ac, #6d5f52); margin: 0 0 4px;
}
.author-block { border-left: 3px solid var(--ac, #b9a58a); padding: 2px 0 2px 12px; margin: 10px 0; }
.author-block h4 .author { font-weight: 700; }
.author-block h4 .works { text-transform: none; letter-spacing: 0; font-style: italic; margin-left: 8px; color: #7a6e63; }
.author-block p { margin: 2px 0; }
.searched {
  font-family: system-ui, sans-serif; font-size: 12px; color: #7a6e63; text-align: right;
  margin: -2px 4px 4px;
}
.lead { margin: 2px 0 8px; font-size: 18px; }
.lead strong { color: #2b2622; }
.lead .lead-who { font-family: system-ui, sans-serif; font-size: 13px; color: #7a6e63; }
.sent.quote q { quotes: "“" "”"; }
.sent .voice {
  font-family: system-ui, sans-serif; font-size: 12px; color: #7a6e63; font-style: italic;
}
.sent.v-rejecting q, .sent.v-reporting q, .sent.v-epigraph q { color: #5d544b; }
.further { margin-top: 8px; font-size: 14px; color: #5d544b; }
.further ul { margin: 2px 0 0; padding-left: 18px; }
.further-title { font-family: system-ui, sans-serif; font-size: 12px; color: #7a6e63; }
.compare { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 10px 18px; }
.compare .author-block { margin: 6px 0; }
a.cite {
  display: inline-block; font-family: system-ui, sans-serif; font-size: 11px; font-weight: 600;
  line-height: 1; padding: 3px 5px; margin-left: 2px; border-radius: 6px; vertical-align: super;
  background: #f1e6d6; color: #5a2a27; text-decoration: none; cursor: pointer; border: 1px solid #e2d2bb;
}
a.cite:hover, a.cite:focus { background: #5a2a27; color: #fff; }
.status { font-family: system-ui, sans-serif; font-size: 14px; color: #6d5f52; display: flex; align-items: center; gap: 8px; }
.spinner {
  width: 14px; height: 14px; border-radius: 50%; border: 2px solid #e2d2bb; border-top-color: #5a2a27;
  display: inline-block; animation: attest-spin .8s linear infinite;
}
@keyframes attest-spin { to { transform: rotate(360deg); } }
.draft { color: #7a6e63; font-style: italic; }
.draft p { margin: 6px 0 0; }
.badge {
  display: inline-block; font-family: system-ui, sans-serif; font-style: normal; font-size: 11px;
  padding: 1px 7px; border-radius: 10px; background: #efe9df; color: #6d5f52; letter-spacing: .02em;
}
.dropped-badge { background: #fbe3e0; color: #8c2f39; }
.abstain { background: #f6f3ee; border-radius: 10px; padding: 8px 12px; }
.abstain p { margin: 4px 0; }
.abstain .hint { font-size: 14px; color: #7a6e63; }
.notice, .stopped {
  font-family: system-ui, sans-serif; font-size: 14px; padding: 6px 10px; border-radius: 8px;
  background: #fff4dc; color: #6b4a00; margin-bottom: 6px;
}
.stopped { background: #f1ece4; color: #5d544b; }
.dropped { margin-top: 10px; border-top: 1px dashed #e2d2bb; padding-top: 8px; font-size: 14px; color: #7a6e63; }
.dropped ul { margin: 6px 0 0; padding-left: 18px; }
.dropped li { margin: 4px 0; }
.dropped .sent { text-decoration: line-through; text-decoration-color: rgba(140, 47, 57, .45); }
.dropped-title { font-family: system-ui, sans-serif; font-size: 12px; }
.meta { font-family: system-ui, sans-serif; font-size: 11px; color: #a0968b; margin-top: 8px; text-align: right; }
/* sources */
.empty { font-family: system-ui, sans-serif; color: #8a8076; font-size: 14px; padding: 12px; border: 1px dashed #e2d2bb; border-radius: 12px; }
.src-group { margin-bottom: 12px; }
.src-group > summary {
  cursor: pointer; font-family: system-ui, sans-serif; font-size: 12px; text-transform: uppercase;
  letter-spacing: .05em; color: #6d5f52; margin-bottom: 8px;
}
.src-card, .lookup-card {
  background: #fffdf9; border: 1px solid #e8dfcf; border-left: 4px solid var(--ac, #b9a58a);
  border-radius: 12px; padding: 12px 14px; margin: 0 0 12px; scroll-margin: 16px;
  transition: box-shadow .3s, background .3s;
}
.src-card.active { background: #fff6e0; box-shadow: 0 0 0 3px rgba(90, 42, 39, .35); }
.src-card header, .lookup-card header { display: flex; align-items: baseline; gap: 10px; }
.num {
  font-family: system-ui, sans-serif; font-size: 12px; font-weight: 700; color: #fff; background: var(--ac, #5a2a27);
  border-radius: 6px; padding: 2px 7px; flex: none;
}
.who { display: flex; flex-direction: column; }
.who .author { font-weight: 700; color: #2b2622; }
.who .work { font-size: 14px; color: #6d5f52; }
.where { font-family: system-ui, sans-serif; font-size: 12px; color: #8a8076; margin: 6px 0 2px; display: flex; gap: 8px; flex-wrap: wrap; }
.quoting { font-family: system-ui, sans-serif; font-size: 12px; color: #8c2f39; font-weight: 600; margin: 4px 0; }
blockquote { margin: 8px 0; padding: 0 0 0 12px; border-left: 2px solid #eadfce; color: #3d3630; font-size: 15px; white-space: pre-wrap; }
mark { background: #fbe7a1; color: inherit; padding: 0 1px; border-radius: 2px; }
.cite-line { font-family: system-ui, sans-serif; font-size: 12px; color: #8a8076; }
/* lookup */
.lookup-head { font-family: system-ui, sans-serif; font-size: 13px; color: #6d5f52; margin-bottom: 8px; }
.lookup-card header .anchor { margin-left: auto; color: #8a8076; }
.ctx { margin: 8px 0; }
.ctx p { margin: 2px 0; white-space: pre-wrap; }
.ctx.prev p, .ctx.next p { color: #8a8076; font-size: 14px; }
.ctx.hit p { font-size: 16px; }
.ctx-label { font-family: system-ui, sans-serif; font-size: 11px; letter-spacing: .03em; color: #a0968b; }
.reader-section { font-size: 15px; color: #5a2a27; margin: 18px 0 8px; font-variant: small-caps; letter-spacing: .03em; }
.footnotes ol { margin: 4px 0; padding-left: 18px; font-size: 14px; color: #5d544b; list-style: none; }
.cite-copy { display: flex; align-items: center; gap: 8px; margin-top: 8px; }
.cite-input {
  flex: 1; font-family: system-ui, sans-serif; font-size: 13px; padding: 6px 8px; border: 1px solid #e2d2bb;
  border-radius: 8px; background: #fbf8f2; color: #2b2622;
}
/* reader */
.attest-reader header { margin-bottom: 12px; }
.attest-reader header .author { font-weight: 700; }
.attest-reader .pos { font-family: system-ui, sans-serif; font-size: 12px; color: #8a8076; }
.reader-para, .reader-note { margin: 0 0 14px; }
.reader-para p, .reader-note p { margin: 2px 0; white-space: pre-wrap; }
.reader-note p { font-size: 14px; color: #5d544b; }
"""
)

# Event delegation inside the chat component: a marker scrolls its card into view and highlights
# it (opening the folded group it sits in). Only ids built by ui.render are looked up.
CHAT_JS = """
// The conversation scrolls in its own box. When a new turn appears its question is brought to the
// top of the box and kept there while the answer streams in below it (every update re-renders the
// whole conversation, which would otherwise reset the scroll), until the reader scrolls themselves.
(function () {
  let seen = '', pinned = false, box = null;
  const release = function () { pinned = false; };
  new MutationObserver(function () {
    const turns = element.querySelectorAll('.turn');
    const last = turns[turns.length - 1];
    if (!box) {
      box = document.getElementById('attest-chat');
      if (!box) return;
      ['wheel', 'touchmove', 'keydown', 'mousedown'].forEach(function (ev) {
        box.addEventListener(ev, release, {passive: true});
      });
    }
    if (!last) return;
    if (last.id !== seen) { seen = last.id; pinned = true; }
    if (pinned) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 4;
  }).observe(element, {childList: true, subtree: true, characterData: true});
})();
element.addEventListener('click', function (ev) {
  const a = ev.target.closest('a.cite');
  if (!a) return;
  ev.preventDefault();
  const id = a.getAttribute('data-src') || '';
  if (!/^src-t\\d+-\\d+$/.test(id)) return;
  const card = document.getElementById(id);
  if (!card) return;
  const group = card.closest('details');
  if (group) group.open = true;
  document.querySelectorAll('.src-card.active').forEach(function (c) { c.classList.remove('active'); });
  card.classList.add('active');
  card.scrollIntoView({behavior: 'smooth', block: 'center'});
  card.focus({preventScroll: true});
});
"""

# Clicking a citation field of a lookup result selects it, ready to copy.
LOOKUP_JS = """
element.addEventListener('focusin', function (ev) {
  if (ev.target.classList && ev.target.classList.contains('cite-input')) ev.target.select();
});
"""

PAGE_CSS = """
.gradio-container { max-width: 1320px !important; margin: 0 auto; background: #f7f3ec; }
#attest-header h1 { font-family: "Iowan Old Style", Palatino, Georgia, serif; color: #5a2a27; margin: 0; font-size: 30px; }
#attest-header p { margin: 2px 0 0; color: #6d5f52; font-size: 15px; }
/* The badge updates itself every second: no loading spinner over it. */
#attest-model-state [data-testid="status-tracker"] { display: none !important; }
#attest-model-state { flex: 0 0 auto !important; min-width: 0 !important; align-self: center; text-align: right; }
.model-state {
  font-family: system-ui, sans-serif; font-size: 12px; padding: 3px 10px; border-radius: 12px;
  background: #efe9df; color: #6d5f52; white-space: nowrap;
}
.model-state.loading { background: #fff4dc; color: #6b4a00; }
.model-state.ready { background: #e6efe2; color: #3f6b35; }
.model-state.failed { background: #fbe3e0; color: #8c2f39; }
#attest-sources-col { position: sticky; top: 8px; align-self: flex-start; }
#attest-sources { max-height: 78vh; overflow-y: auto; padding-right: 4px; }
/* The conversation scrolls inside its own box (Gradio's block style says overflow: visible, which
   let a long conversation spill under the question row and the examples). */
#attest-chat {
  /* Tall enough to read, short enough that the question row stays on a laptop screen. */
  min-height: 300px; max-height: max(300px, calc(100vh - 340px)); overflow-y: auto !important; overflow-x: hidden !important;
  padding: 4px 8px 4px 0;
}
#attest-question textarea { font-size: 16px; }
footer { display: none !important; }
"""

HEADER_HTML = (
    '<div id="attest-header"><h1>attest</h1>'
    "<p>Who said what about Stalinism — answers from the essays, every sentence tied to the "
    "passage and author it comes from.</p></div>"
)


def make_theme() -> Any:
    """A warm, paper-like Gradio theme (gradio imported here: heavy)."""
    import gradio as gr

    return gr.themes.Soft(
        primary_hue=gr.themes.colors.red,
        neutral_hue=gr.themes.colors.stone,
        # Local font stacks only: a web font would make every page load call out to the internet.
        font=["system-ui", "-apple-system", "Segoe UI", "Helvetica Neue", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    ).set(
        body_background_fill="#f7f3ec",
        block_background_fill="#fffdf9",
        button_primary_background_fill="#5a2a27",
        button_primary_background_fill_hover="#732f2b",
        button_primary_text_color="#ffffff",
    )
