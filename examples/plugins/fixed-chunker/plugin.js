// Fallback chunker: never throws on any text, however odd.
export class FixedChunker {
  chunk({ text, max_size: maxSize = 100 }) {
    const pieces = [];
    for (let i = 0; i < text.length; i += maxSize) pieces.push(text.slice(i, i + maxSize));
    return pieces;
  }
}
