// Restore requests: waiting for approval, in progress and finished, with approve / reject here
// as on the Teams card (the same server code decides).
import {
  Button,
  makeStyles,
  Tab,
  TabList,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { api, query } from '../api/client.ts';
import type { RestoreView } from '../api/types.ts';
import { ErrorBar, Loading, NavLink, PageHeader, RestoreStatusBadge } from '../components/common.tsx';
import { useAsync } from '../components/use-async.ts';
import { formatDateTime, timeAgo } from '../format.ts';

const FILTERS = {
  pending: 'pending',
  active: 'approved,running',
  finished: 'succeeded,partial,failed,rejected,cancelled,expired',
  all: '',
} as const;
type Filter = keyof typeof FILTERS;

const useStyles = makeStyles({
  table: { backgroundColor: tokens.colorNeutralBackground1 },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS },
  muted: { color: tokens.colorNeutralForeground3 },
  tabs: { marginBottom: tokens.spacingVerticalM },
});

export function RestoresPage() {
  const styles = useStyles();
  const [filter, setFilter] = useState<Filter>('all');
  const { data, error, reload } = useAsync(
    () => api<{ items: RestoreView[] }>(`/api/tab/restores${query({ status: FILTERS[filter] })}`),
    [filter],
  );
  const [actionError, setActionError] = useState<unknown>();
  const active = data?.items.some((r) => ['pending', 'approved', 'running'].includes(r.status));
  useEffect(() => {
    const timer = setInterval(() => void reload(), active ? 3000 : 20_000);
    return () => clearInterval(timer);
  }, [active, reload]);

  const decide = async (id: string, decision: 'approve' | 'reject') => {
    setActionError(undefined);
    try {
      await api(`/api/tab/restores/${id}/decision`, { method: 'POST', body: { decision } });
      await reload();
    } catch (e) {
      setActionError(e);
    }
  };

  return (
    <>
      <PageHeader
        title="Restore requests"
        subtitle="Every restore needs the approval of a second admin before it runs"
      />
      <TabList
        className={styles.tabs}
        selectedValue={filter}
        onTabSelect={(_e, d) => setFilter(d.value as Filter)}
      >
        <Tab value="all">All</Tab>
        <Tab value="pending">Waiting for approval</Tab>
        <Tab value="active">In progress</Tab>
        <Tab value="finished">Finished</Tab>
      </TabList>
      <ErrorBar error={error ?? actionError} />
      {!data ? <Loading /> : null}
      {data && data.items.length === 0 ? (
        <Text className={styles.muted}>No restore requests here.</Text>
      ) : null}
      {data && data.items.length > 0 ? (
        <Table className={styles.table} aria-label="Restore requests">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Restores</TableHeaderCell>
              <TableHeaderCell>Status</TableHeaderCell>
              <TableHeaderCell>Requested by</TableHeaderCell>
              <TableHeaderCell>Requested</TableHeaderCell>
              <TableHeaderCell>Approvals</TableHeaderCell>
              <TableHeaderCell>Actions</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {data.items.map((r) => (
              <TableRow key={r.restoreId} data-testid="restore-row">
                <TableCell>
                  <NavLink to={`/restores/${r.restoreId}`}>
                    {r.undoOf ? 'Undo: ' : ''}
                    {r.objects.map((o) => o.displayName).join(', ') || r.restoreId}
                  </NavLink>
                </TableCell>
                <TableCell>
                  <RestoreStatusBadge status={r.status} />
                </TableCell>
                <TableCell>{r.requestedBy.displayName ?? r.requestedBy.objectId}</TableCell>
                <TableCell title={formatDateTime(r.requestedAt)}>{timeAgo(r.requestedAt)}</TableCell>
                <TableCell>
                  {r.approvals} of {r.requiredApprovals}
                </TableCell>
                <TableCell>
                  <div className={styles.actions}>
                    {r.can.approve ? (
                      <Button
                        size="small"
                        appearance="primary"
                        onClick={() => decide(r.restoreId, 'approve')}
                      >
                        Approve
                      </Button>
                    ) : null}
                    {r.can.reject ? (
                      <Button size="small" onClick={() => decide(r.restoreId, 'reject')}>
                        Reject
                      </Button>
                    ) : null}
                  </div>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
    </>
  );
}
