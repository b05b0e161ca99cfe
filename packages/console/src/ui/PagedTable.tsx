// One paged list for every table the API pages: `usePagedList` follows the API's cursor (TanStack Query's infinite
// query: each "Show more" asks for the page after the last one loaded, so a list that grows meanwhile neither repeats
// nor skips a row), and `PagedTable` shows it — loading, error, empty, the table with its caption, and a footer that
// says how much is shown with "Show more" while there is more.
import { useInfiniteQuery, type QueryKey } from '@tanstack/react-query';
import { Children, cloneElement, isValidElement, type ReactElement, type ReactNode } from 'react';
import type { MessageKey } from '../i18n/en.ts';
import { useT } from '../i18n/i18n.tsx';
import { Button } from './controls.tsx';
import { Empty, ErrorMessage, Loading } from './feedback.tsx';

/** One page as the admin API answers a list: the items, and the cursor of the next page when there is one. */
export interface ListPage<T> {
  items: T[];
  nextCursor?: string | null | undefined;
}

export interface PagedList<T> {
  items: T[];
  isPending: boolean;
  error: unknown;
  /** More pages than the one shown were loaded, or more are there to load */
  isPaged: boolean;
  hasMore: boolean;
  isLoadingMore: boolean;
  loadMore(): void;
}

/** The list under `queryKey`, a page at a time: `fetchPage` gets the cursor of the page to load (none for the first). */
export function usePagedList<T>(queryKey: QueryKey, fetchPage: (cursor: string | undefined) => Promise<ListPage<T>>): PagedList<T> {
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  return {
    items: query.data?.pages.flatMap((page) => page.items) ?? [],
    isPending: query.isPending,
    error: query.error,
    isPaged: (query.data?.pages.length ?? 0) > 1 || query.hasNextPage,
    hasMore: query.hasNextPage,
    isLoadingMore: query.isFetchingNextPage,
    loadMore: () => void query.fetchNextPage(),
  };
}

export interface PagedTableProps<T> {
  list: PagedList<T>;
  /** The table's accessible name (a visually hidden caption) */
  caption: string;
  /** Column headers; a hidden one (e.g. the actions column) is read by screen readers only */
  columns: Array<{ header: string; hidden?: boolean }>;
  /** The row of one item: a <tr> with a cell per column */
  row(item: T): ReactNode;
  /** Shown when the list is empty */
  empty: ReactNode;
  /** What the footer says once the list is longer than a page: "Showing the first {count} …", "Showing all {count} …" */
  shown: { more: MessageKey; all: MessageKey };
}

export function PagedTable<T>({ list, caption, columns, row, empty, shown }: PagedTableProps<T>) {
  const t = useT();
  if (list.isPending) return <Loading />;
  if (list.error) return <ErrorMessage error={list.error} />;
  if (list.items.length === 0) return <Empty>{empty}</Empty>;
  return (
    <>
      {/* Below 560 px each row stacks as a card, its cells labelled by their column (styles.css, .table-stack); the
          explicit roles keep it a table for assistive technology whatever the display. */}
      <div className="table-wrap table-stack" tabIndex={0}>
        <table className="table" role="table">
          <caption className="visually-hidden">{caption}</caption>
          <thead role="rowgroup">
            <tr role="row">
              {columns.map((column, index) => (
                <th key={index} scope="col" role="columnheader">
                  {column.hidden ? <span className="visually-hidden">{column.header}</span> : column.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody role="rowgroup">{list.items.map((item) => labelled(row(item), columns))}</tbody>
        </table>
      </div>
      {list.isPaged ? (
        <div className="list-footer">
          <p className="muted" role="status">
            {t(list.hasMore ? shown.more : shown.all, { count: list.items.length })}
          </p>
          {list.hasMore ? (
            <Button onPress={list.loadMore} isDisabled={list.isLoadingMore}>
              {t('common.more')}
            </Button>
          ) : null}
        </div>
      ) : null}
    </>
  );
}

/** The row with each cell carrying its column's name (`data-label`, shown when the rows stack) and role. */
function labelled(row: ReactNode, columns: PagedTableProps<unknown>['columns']): ReactNode {
  if (!isValidElement<{ children?: ReactNode }>(row)) return row;
  let index = 0;
  const cells = Children.map(row.props.children, (cell) => {
    if (!isValidElement(cell)) return cell;
    const column = columns[index++];
    return cloneElement(cell as ReactElement<Record<string, unknown>>, { role: 'cell', 'data-label': column && !column.hidden ? column.header : '' });
  });
  return cloneElement(row as ReactElement<Record<string, unknown>>, { role: 'row' }, cells);
}
