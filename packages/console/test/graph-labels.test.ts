// Where the designer puts an arrow's outcome label: on a level stretch no other arrow runs along.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelPlaces, labelWidth } from '../src/areas/journeys/designer/graph-layout.ts';

describe('arrow labels', () => {
  test('two arrows into one step share their last stretch: each label goes where its arrow runs alone', () => {
    const routes = new Map([
      [
        'a',
        [
          { x: 0, y: 0 },
          { x: 50, y: 0 },
          { x: 50, y: 100 },
          { x: 200, y: 100 },
        ],
      ],
      [
        'b',
        [
          { x: 0, y: 50 },
          { x: 60, y: 50 },
          { x: 60, y: 100 },
          { x: 200, y: 100 },
        ],
      ],
    ]);
    assert.deepEqual(
      labelPlaces(routes),
      new Map([
        ['a', { x: 25, y: 0 }],
        ['b', { x: 30, y: 50 }],
      ]),
    );
  });

  test('an arrow alone takes the middle of its longest level stretch; a label that fits nowhere free sits just after its handle', () => {
    const alone = new Map([
      [
        'a',
        [
          { x: 0, y: 0 },
          { x: 20, y: 0 },
          { x: 20, y: -80 },
          { x: 300, y: -80 },
          { x: 300, y: 10 },
        ],
      ],
    ]);
    assert.deepEqual(labelPlaces(alone, new Map([['a', 60]])).get('a'), { x: 160, y: -80 });
    const twins = new Map([
      [
        'a',
        [
          { x: 10, y: 0 },
          { x: 100, y: 0 },
        ],
      ],
      [
        'b',
        [
          { x: 10, y: 0 },
          { x: 100, y: 0 },
        ],
      ],
    ]);
    assert.deepEqual(labelPlaces(twins, new Map([['b', 40]])).get('b'), { x: 38, y: 0 });
    assert.equal(labelWidth('success'), 58);
  });
});
