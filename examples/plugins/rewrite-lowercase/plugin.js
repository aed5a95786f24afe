// A chain stage: its output is the next stage's input.
export class Lowercase {
  rewrite(query) {
    return query.trim().replace(/\s+/g, ' ').toLowerCase();
  }
}
