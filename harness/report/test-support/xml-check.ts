// Test support: a strict little XML reader for the JUnit tests. It accepts only well-formed XML 1.0 of the kind the
// JUnit writer emits (prolog, elements, attributes, text, the five entities and character references) and throws
// on anything else — unclosed or crossed tags, raw < or & in text or attributes, characters XML cannot carry — so
// a passing parse means a real CI parser reads the file too. Returns the element tree with decoded text.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;
const LEGAL = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD]*$/u;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  if (raw.includes('<')) throw new Error(`raw < at ${where}`);
  return raw.replace(/&([^;]*);?/g, (m, ref: string) => {
    if (!m.endsWith(';')) throw new Error(`unterminated reference at ${where}: ${m}`);
    if (ENTITIES[ref] !== undefined) return ENTITIES[ref];
    const code = /^#x[0-9a-fA-F]+$/.test(ref)
      ? parseInt(ref.slice(2), 16)
      : /^#\d+$/.test(ref)
        ? Number(ref.slice(1))
        : NaN;
    if (!Number.isFinite(code)) throw new Error(`unknown entity &${ref}; at ${where}`);
    const ch = String.fromCodePoint(code);
    if (!LEGAL.test(ch)) throw new Error(`illegal character reference &${ref}; at ${where}`);
    return ch;
  });
}

export function parseXml(xml: string): XmlElement {
  if (!LEGAL.test(xml)) throw new Error('the document contains characters XML 1.0 does not allow');
  let i = 0;
  const prolog = /^<\?xml version="1\.0" encoding="UTF-8"\?>\s*/.exec(xml);
  if (prolog) i = prolog[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (i < xml.length) {
    if (xml.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_:][\w.:-]*)\s*>/.exec(xml.slice(i));
      const open = stack.pop();
      if (!m || !open || open.name !== m[1]) throw new Error(`mismatched closing tag at ${i}`);
      i += m[0].length;
      if (stack.length === 0) root = open;
    } else if (xml[i] === '<') {
      if (root) throw new Error(`content after the root element at ${i}`);
      i++;
      const name = NAME.exec(xml.slice(i))?.[0];
      if (!name) throw new Error(`bad tag name at ${i}`);
      i += name.length;
      const el: XmlElement = { name, attrs: {}, children: [], text: '' };
      for (;;) {
        const ws = /^\s*/.exec(xml.slice(i))![0];
        i += ws.length;
        if (xml.startsWith('/>', i) || xml[i] === '>') break;
        const a = /^([A-Za-z_:][\w.:-]*)="([^"]*)"/.exec(xml.slice(i));
        if (!a || ws.length === 0) throw new Error(`bad attribute at ${i}`);
        if (el.attrs[a[1]!] !== undefined) throw new Error(`duplicate attribute ${a[1]} at ${i}`);
        el.attrs[a[1]!] = decode(a[2]!, i);
        i += a[0].length;
      }
      stack[stack.length - 1]?.children.push(el);
      if (xml.startsWith('/>', i)) {
        i += 2;
        if (stack.length === 0) root = el;
      } else {
        i += 1;
        stack.push(el);
      }
    } else {
      const next = xml.indexOf('<', i);
      const raw = xml.slice(i, next === -1 ? xml.length : next);
      const top = stack[stack.length - 1];
      if (!top && raw.trim() !== '') throw new Error(`text outside the root element at ${i}`);
      if (top) top.text += decode(raw, i);
      i += raw.length;
    }
  }
  if (stack.length || !root) throw new Error('unclosed elements at the end of the document');
  return root;
}

export const childrenNamed = (el: XmlElement, name: string): XmlElement[] => el.children.filter((c) => c.name === name);
