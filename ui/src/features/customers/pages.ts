// Paging for the customer table: rows are fetched a page at a time around what is visible, so a
// million customers cost only the pages the user scrolls through.
export const PAGE_SIZE = 200;

export function pagesFor(firstRow: number, lastRow: number, pageSize = PAGE_SIZE): number[] {
  if (lastRow < firstRow) return [];
  const pages: number[] = [];
  for (let p = Math.floor(firstRow / pageSize); p <= Math.floor(lastRow / pageSize); p++) pages.push(p);
  return pages;
}

export function rowAt<T>(pages: Map<number, T[]>, row: number, pageSize = PAGE_SIZE): T | undefined {
  return pages.get(Math.floor(row / pageSize))?.[row % pageSize];
}
