// A table of backed-up objects of one type: search on any part of name, UPN, mail or id; sort;
// deleted objects marked and filterable; server-side paging (100,000 objects never load at once).
import {
  Badge,
  Button,
  Dropdown,
  Field,
  makeStyles,
  Option,
  SearchBox,
  Table,
  TableBody,
  TableCell,
  TableCellLayout,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import { ChevronLeftRegular, ChevronRightRegular } from '@fluentui/react-icons';
import { useEffect, useState } from 'react';
import { api, query } from '../api/client.ts';
import type { ObjectPage, ObjectRow, ObjectType } from '../api/types.ts';
import { ErrorBar, Loading, NavLink, PageHeader } from '../components/common.tsx';
import { useAsync } from '../components/use-async.ts';
import { formatDateTime, TYPE_LABELS } from '../format.ts';
import { useRouter } from '../router.tsx';

const PAGE_SIZE = 50;
type SortKey = 'name' | 'id' | 'lastChange';

const useStyles = makeStyles({
  toolbar: {
    display: 'flex',
    gap: tokens.spacingHorizontalM,
    alignItems: 'flex-end',
    flexWrap: 'wrap',
    marginBottom: tokens.spacingVerticalM,
  },
  search: { minWidth: '320px' },
  table: { backgroundColor: tokens.colorNeutralBackground1, borderRadius: tokens.borderRadiusMedium },
  deletedRow: { color: tokens.colorNeutralForeground3 },
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200 },
  // Long UPNs wrap inside their column instead of running under the next one.
  wrap: { overflowWrap: 'anywhere' },
  pager: {
    display: 'flex',
    gap: tokens.spacingHorizontalS,
    alignItems: 'center',
    justifyContent: 'flex-end',
    marginTop: tokens.spacingVerticalM,
  },
  muted: { color: tokens.colorNeutralForeground3 },
});

function secondary(row: ObjectRow): string {
  const s = row.summary;
  const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
  if (s.userPrincipalName || s.mail) return text(s.userPrincipalName ?? s.mail);
  if (s.appId) return `App ID ${text(s.appId)}`;
  if (s.operatingSystem) return text(s.operatingSystem);
  if (Array.isArray(s.methodTypes)) return s.methodTypes.join(', ');
  return text(s.description ?? s.state ?? '');
}

export function ObjectsPage({ type }: { type: string }) {
  const styles = useStyles();
  const { navigate } = useRouter();
  const objectType = (type in TYPE_LABELS ? type : 'user') as ObjectType;
  const [search, setSearch] = useState('');
  const [debounced, setDebounced] = useState('');
  const [deleted, setDeleted] = useState<'all' | 'live' | 'deleted'>('all');
  const [sort, setSort] = useState<SortKey>('name');
  const [desc, setDesc] = useState(false);
  // Continuation tokens of the pages before the current one (for Previous).
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const continuation = pages[pages.length - 1];

  useEffect(() => {
    const t = setTimeout(() => setDebounced(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new query starts from page one
  useEffect(() => setPages([undefined]), [debounced, deleted, sort, desc]);

  const { data, error, loading } = useAsync(
    () =>
      api<ObjectPage>(
        `/api/tab/objects${query({ type: objectType, search: debounced, deleted, sort, desc: desc ? 'true' : undefined, limit: PAGE_SIZE, continuation })}`,
      ),
    [objectType, debounced, deleted, sort, desc, continuation],
  );

  const sortProps = (key: SortKey) => ({
    sortable: true,
    sortDirection: sort === key ? (desc ? ('descending' as const) : ('ascending' as const)) : undefined,
    onClick: () => {
      if (sort === key) setDesc(!desc);
      else {
        setSort(key);
        setDesc(key === 'lastChange');
      }
    },
  });
  const label = TYPE_LABELS[objectType];
  const isOther = objectType !== 'user' && objectType !== 'group';

  return (
    <>
      <PageHeader
        title={label.many}
        subtitle={`Every ${label.one.toLowerCase()} in the backup, deleted ones included`}
      />
      <div className={styles.toolbar}>
        {isOther ? (
          <Field label="Object type">
            <Dropdown
              value={label.many}
              selectedOptions={[objectType]}
              onOptionSelect={(_e, d) => navigate(`/objects/${d.optionValue}`)}
            >
              {(Object.keys(TYPE_LABELS) as ObjectType[])
                .filter((t) => t !== 'user' && t !== 'group')
                .map((t) => (
                  <Option key={t} value={t}>
                    {TYPE_LABELS[t].many}
                  </Option>
                ))}
            </Dropdown>
          </Field>
        ) : null}
        <Field label="Search" className={styles.search}>
          <SearchBox
            placeholder={objectType === 'user' ? 'Name, UPN, mail or object id' : 'Name, mail or object id'}
            value={search}
            onChange={(_e, d) => setSearch(d.value)}
            aria-label={`Search ${label.many.toLowerCase()}`}
          />
        </Field>
        <Field label="Show">
          <Dropdown
            value={deleted === 'all' ? 'All objects' : deleted === 'live' ? 'Existing only' : 'Deleted only'}
            selectedOptions={[deleted]}
            onOptionSelect={(_e, d) => setDeleted(d.optionValue as 'all' | 'live' | 'deleted')}
          >
            <Option value="all">All objects</Option>
            <Option value="live">Existing only</Option>
            <Option value="deleted">Deleted only</Option>
          </Dropdown>
        </Field>
      </div>
      <ErrorBar error={error} />
      <Table className={styles.table} aria-label={`${label.many} in the backup`} sortable>
        <TableHeader>
          <TableRow>
            <TableHeaderCell {...sortProps('name')} style={{ width: '24%' }}>
              Name
            </TableHeaderCell>
            <TableHeaderCell>{objectType === 'user' ? 'User principal name' : 'Details'}</TableHeaderCell>
            <TableHeaderCell {...sortProps('id')} style={{ width: '25%' }}>
              Object id
            </TableHeaderCell>
            <TableHeaderCell {...sortProps('lastChange')} style={{ width: '15%' }}>
              Last change
            </TableHeaderCell>
            <TableHeaderCell style={{ width: '140px' }}>Status</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {data?.items.map((row) => (
            <TableRow
              key={row.objectId}
              className={row.deleted ? styles.deletedRow : undefined}
              data-testid="object-row"
            >
              <TableCell>
                <TableCellLayout>
                  <NavLink to={`/objects/${row.objectType}/${encodeURIComponent(row.objectId)}`}>
                    {row.displayName || row.objectId}
                  </NavLink>
                </TableCellLayout>
              </TableCell>
              <TableCell className={styles.wrap}>{secondary(row)}</TableCell>
              <TableCell className={`${styles.mono} ${styles.wrap}`}>{row.objectId}</TableCell>
              <TableCell>{formatDateTime(row.lastChangedAt)}</TableCell>
              <TableCell>
                {row.deleted ? (
                  <Badge color="danger" appearance="tint">
                    {row.deletionKind === 'hard' ? 'Deleted permanently' : 'Deleted'}
                  </Badge>
                ) : (
                  <Badge color="success" appearance="tint">
                    Exists
                  </Badge>
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {loading && !data ? <Loading /> : null}
      {data && data.items.length === 0 ? (
        <Text as="p" className={styles.muted}>
          {debounced
            ? `No ${label.many.toLowerCase()} match “${debounced}”.`
            : `No ${label.many.toLowerCase()} in the backup yet.`}
        </Text>
      ) : null}
      <div className={styles.pager}>
        <Text className={styles.muted}>Page {pages.length}</Text>
        <Button
          icon={<ChevronLeftRegular />}
          disabled={pages.length <= 1}
          onClick={() => setPages(pages.slice(0, -1))}
        >
          Previous
        </Button>
        <Button
          icon={<ChevronRightRegular />}
          iconPosition="after"
          disabled={!data?.continuation}
          onClick={() => setPages([...pages, data?.continuation])}
        >
          Next
        </Button>
      </div>
    </>
  );
}
