/**
 * Does the description render for its content type, as Warehouse's `readme.render(...,
 * use_fallback=False)` decides? The one boundary between PyPI's rules and the description
 * renderers (src/rules/readme/, in progress). Plain text always renders; Markdown fails only
 * when it renders to nothing (blank text, link definitions alone); reStructuredText needs the
 * docutils-equivalent validator: until it is in this build the answer is "not judged", which
 * `check` reports as such and never as a pass.
 */
export type Rendering =
  | { renders: true }
  | { renders: false }
  | { renders: "not-judged"; why: string };

/** `email.message.EmailMessage().get_content_type()` of a Description-Content-Type value. */
function contentType(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return value.split(";")[0]?.trim().toLowerCase();
}

export function descriptionRenders(text: string, contentTypeValue: string | undefined): Rendering {
  const type = contentType(contentTypeValue) ?? "text/x-rst";
  if (type === "text/plain") return { renders: true };
  if (type === "text/markdown") {
    const content = text.replace(/^ {0,3}\[[^\]]+\]:\s*\S+.*$/gm, "");
    return content.trim() === "" ? { renders: false } : { renders: true };
  }
  return {
    renders: "not-judged",
    why: "the reStructuredText validator is not part of this build yet",
  };
}
