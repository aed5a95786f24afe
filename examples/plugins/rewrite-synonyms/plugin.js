const SYNONYMS = { plugin: 'plugin extension', dispatch: 'dispatch routing' };

export class Synonyms {
  rewrite(query) {
    return query
      .split(' ')
      .map((word) => SYNONYMS[word] ?? word)
      .join(' ');
  }
}
