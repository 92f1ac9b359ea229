import { formatTable, ratio } from './table';

describe('formatTable', () => {
  it('pads the first column left and numbers right, and shows missing cells as -', () => {
    expect(
      formatTable(
        ['name', 'n'],
        [
          ['a', 1],
          ['long name', 22.5],
          ['x', null],
        ],
      ),
    ).toEqual(['name           n', '---------  -----', 'a              1', 'long name  22.50', 'x              -']);
  });
});

describe('ratio', () => {
  it('is null when a side is missing or the divisor is 0', () => {
    expect(ratio(1, 3)).toBe(0.33);
    expect(ratio(undefined, 3)).toBeNull();
    expect(ratio(1, 0)).toBeNull();
  });
});
