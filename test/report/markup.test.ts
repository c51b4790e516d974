import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOMAIN_FILE } from '../../framework/config/files.js';
import { html, raw, scriptJson } from '../../framework/report/markup.js';
import { domainFile, readDomainFile } from '../../framework/run/domain-file.js';
import { tinyDomain } from '../helpers.js';

describe('html, escaped by default', () => {
  it('escapes what it is given, keeps markup it made, joins lists, leaves out nothing-values', () => {
    const label = `<img src=x onerror="alert('x')">&`;
    const cell = html`<td title="${label}">${label}</td>`;
    expect(cell.text).toBe('<td title="&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;</td>');
    expect(html`<tr>${[cell, html`<td>${3}</td>`]}</tr>`.text).toBe(`<tr>${cell.text}<td>3</td></tr>`);
    expect(html`a${undefined}${null}${false}b`.text).toBe('ab');
    expect(html`${raw('<b>')}`.text).toBe('<b>');
  });

  it('puts JSON in a script element so that no text in it ends the element', () => {
    expect(scriptJson({ text: '</script><script>alert(1)</script>' }).text).toBe('{"text":"\\u003c/script>\\u003cscript>alert(1)\\u003c/script>"}');
  });
});

describe('the domain a run records', () => {
  it('is read back as the same domain: candidates, attributes, truth table, noun', () => {
    const domain = tinyDomain();
    const dir = mkdtempSync(join(tmpdir(), 'twentyq-domain-'));
    writeFileSync(join(dir, DOMAIN_FILE), JSON.stringify(domainFile(domain)));
    const read = readDomainFile(dir)!;
    expect(read.candidates).toEqual(domain.candidates);
    expect(read.attributes.map((a) => a.id)).toEqual(domain.attributes.map((a) => a.id));
    expect([...read.truth!]).toEqual([...domain.truth!]);
    expect([read.name, read.noun, read.plural, read.aNoun]).toEqual([domain.name, domain.noun, domain.plural, domain.aNoun]);
    expect(readDomainFile(mkdtempSync(join(tmpdir(), 'twentyq-domain-')))).toBeUndefined();
  });

  it('a damaged file is an error naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twentyq-domain-'));
    writeFileSync(join(dir, DOMAIN_FILE), JSON.stringify({ ...domainFile(tinyDomain()), truth: ['01x'] }));
    expect(() => readDomainFile(dir)).toThrow(new RegExp(`${DOMAIN_FILE} is damaged \\(truth row 0 holds a character other than 0, 1, 2\\)`));
  });
});
