// Capability-dispatched: chosen for .md files (and text/markdown).
export class MarkdownChunker {
  chunk({ text }) {
    const chunks = [];
    for (const line of text.split('\n')) {
      if (line.startsWith('#') || chunks.length === 0) chunks.push(line);
      else chunks[chunks.length - 1] += `\n${line}`;
    }
    return chunks.map((c) => c.trim()).filter((c) => c.length > 0);
  }
}
