// One restore request: who asked and decided, the plan, live progress, the result with skipped
// and failed items (JSON / CSV download), and Undo.
import {
  Badge,
  Button,
  Card,
  CardHeader,
  MessageBar,
  MessageBarBody,
  makeStyles,
  ProgressBar,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import {
  ArrowDownloadRegular,
  ArrowUndoRegular,
  CheckmarkRegular,
  DismissRegular,
} from '@fluentui/react-icons';
import { useEffect, useState } from 'react';
import { api, download } from '../api/client.ts';
import type { RestoreDetail, RestoreView } from '../api/types.ts';
import { ErrorBar, NavLink, PageHeader, Pending, RestoreStatusBadge } from '../components/common.tsx';
import { useAsync } from '../components/use-async.ts';
import { describeOptions, formatDateTime, stepLabel } from '../format.ts';
import { useRouter } from '../router.tsx';

const useStyles = makeStyles({
  grid: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(320px, 1fr))',
    gap: tokens.spacingHorizontalL,
    marginBottom: tokens.spacingVerticalL,
  },
  card: { padding: tokens.spacingHorizontalL },
  muted: { color: tokens.colorNeutralForeground3 },
  totals: { display: 'flex', gap: tokens.spacingHorizontalXL },
  big: { fontSize: tokens.fontSizeHero700, fontWeight: tokens.fontWeightSemibold, display: 'block' },
  table: { backgroundColor: tokens.colorNeutralBackground1, marginBottom: tokens.spacingVerticalL },
  list: { margin: 0, paddingLeft: tokens.spacingHorizontalL },
});

const ACTIVE = new Set(['pending', 'approved', 'running']);

export function RestoreDetailPage({ id }: { id: string }) {
  const styles = useStyles();
  const { navigate } = useRouter();
  const { data, error, reload } = useAsync(
    () => api<RestoreDetail>(`/api/tab/restores/${encodeURIComponent(id)}`),
    [id],
  );
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const active = data ? ACTIVE.has(data.status) : false;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => void reload(), 1500);
    return () => clearInterval(timer);
  }, [active, reload]);

  const act = async (path: string, body: unknown, then?: (r: RestoreView) => void) => {
    setBusy(true);
    setActionError(undefined);
    try {
      const r = await api<RestoreView>(path, { method: 'POST', body });
      if (then) then(r);
      else await reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };

  if (!data) return <Pending error={error} />;
  const result = data.result;
  const finished = data.status === 'succeeded' || data.status === 'partial' || data.status === 'failed';
  const base = `/api/tab/restores/${encodeURIComponent(id)}`;
  return (
    <>
      <Text as="p" className={styles.muted}>
        <NavLink to="/restores">Restore requests</NavLink> / {data.restoreId}
      </Text>
      <PageHeader
        title={`${data.undoOf ? 'Undo: ' : 'Restore '}${data.objects.map((o) => o.displayName).join(', ')}`}
        subtitle={
          <>
            <RestoreStatusBadge status={data.status} /> Requested by{' '}
            {data.requestedBy.displayName ?? data.requestedBy.objectId} {formatDateTime(data.requestedAt)}
          </>
        }
        actions={
          <>
            {data.can.approve ? (
              <Button
                appearance="primary"
                icon={<CheckmarkRegular />}
                disabled={busy}
                onClick={() => act(`${base}/decision`, { decision: 'approve' })}
              >
                Approve
              </Button>
            ) : null}
            {data.can.reject ? (
              <Button
                icon={<DismissRegular />}
                disabled={busy}
                onClick={() => act(`${base}/decision`, { decision: 'reject' })}
              >
                Reject
              </Button>
            ) : null}
            {data.can.cancel ? (
              <Button disabled={busy} onClick={() => act(`${base}/decision`, { decision: 'cancel' })}>
                Cancel request
              </Button>
            ) : null}
            {finished ? (
              <>
                <Button
                  icon={<ArrowDownloadRegular />}
                  onClick={() => download(`${base}/result?format=json`, 'result.json')}
                >
                  JSON
                </Button>
                <Button
                  icon={<ArrowDownloadRegular />}
                  onClick={() => download(`${base}/result?format=csv`, 'result.csv')}
                >
                  CSV
                </Button>
              </>
            ) : null}
            {data.can.undo ? (
              <Button
                appearance="primary"
                icon={<ArrowUndoRegular />}
                disabled={busy}
                onClick={() => act(`${base}/undo`, {}, (r) => navigate(`/restores/${r.restoreId}`))}
              >
                Undo
              </Button>
            ) : null}
          </>
        }
      />
      <ErrorBar error={actionError} title="That did not work" />
      {data.status === 'pending' && !data.can.approve ? (
        <MessageBar intent="info">
          <MessageBarBody>
            Waiting for {data.requiredApprovals - data.approvals} more approval
            {data.requiredApprovals - data.approvals === 1 ? '' : 's'} from another admin. Expires{' '}
            {formatDateTime(data.expiresAt)}.
          </MessageBarBody>
        </MessageBar>
      ) : null}
      {data.status === 'running' || data.status === 'approved' ? (
        <Card className={styles.card} aria-live="polite">
          <Text>
            {data.status === 'approved'
              ? 'Approved; waiting for the worker…'
              : `Running: ${data.progress.done} of ${data.progress.steps} steps`}
          </Text>
          <ProgressBar
            value={data.progress.steps ? data.progress.done / data.progress.steps : undefined}
            thickness="large"
            aria-label="Restore progress"
          />
        </Card>
      ) : null}

      <div className={styles.grid}>
        <Card className={styles.card}>
          <CardHeader
            header={
              <Text as="h2" weight="semibold" size={400}>
                Request
              </Text>
            }
          />
          <Text>Point in time: {formatDateTime(data.at)}</Text>
          <ul className={styles.list}>
            {data.objects.map((o) => (
              <li key={o.objectId}>
                <NavLink to={`/objects/${o.objectType}/${encodeURIComponent(o.objectId)}`}>
                  {o.displayName}
                </NavLink>{' '}
                <span className={styles.muted}>({o.objectType})</span>
              </li>
            ))}
          </ul>
          <Text className={styles.muted}>Options: {describeOptions(data.options)}</Text>
        </Card>
        <Card className={styles.card}>
          <CardHeader
            header={
              <Text as="h2" weight="semibold" size={400}>
                Approvals
              </Text>
            }
          />
          <Text>
            {data.approvals} of {data.requiredApprovals} needed
          </Text>
          {data.decisions.length === 0 ? <Text className={styles.muted}>No decisions yet.</Text> : null}
          <ul className={styles.list}>
            {data.decisions.map((d) => (
              <li key={`${d.by.objectId}-${d.at}`}>
                <Badge appearance="tint" color={d.decision === 'approve' ? 'success' : 'danger'}>
                  {d.decision}
                </Badge>{' '}
                {d.by.displayName ?? d.by.objectId} · {formatDateTime(d.at)}
                {d.comment ? ` — ${d.comment}` : ''}
              </li>
            ))}
          </ul>
        </Card>
        {result ? (
          <Card className={styles.card} data-testid="restore-result">
            <CardHeader
              header={
                <Text as="h2" weight="semibold" size={400}>
                  Result
                </Text>
              }
            />
            <div className={styles.totals}>
              <span>
                <span className={styles.big}>{result.totals.done ?? 0}</span>done
              </span>
              <span>
                <span className={styles.big}>{result.totals.skipped ?? 0}</span>skipped
              </span>
              <span>
                <span className={styles.big}>{result.totals.failed ?? 0}</span>failed
              </span>
            </div>
          </Card>
        ) : null}
      </div>

      {result && result.skipped.length > 0 ? (
        <>
          <Text as="h2" weight="semibold" size={400}>
            Skipped items
          </Text>
          <Table className={styles.table} size="small" aria-label="Skipped items">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Object</TableHeaderCell>
                <TableHeaderCell>Step</TableHeaderCell>
                <TableHeaderCell>Reason</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {result.skipped.map((s) => (
                <TableRow key={s.stepId}>
                  <TableCell>{s.target.displayName}</TableCell>
                  <TableCell>{s.kind}</TableCell>
                  <TableCell>{s.reason}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </>
      ) : null}
      {result && result.failed.length > 0 ? (
        <>
          <Text as="h2" weight="semibold" size={400}>
            Failed items
          </Text>
          <Table className={styles.table} size="small" aria-label="Failed items">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Object</TableHeaderCell>
                <TableHeaderCell>Step</TableHeaderCell>
                <TableHeaderCell>Error</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {result.failed.map((s) => (
                <TableRow key={s.stepId}>
                  <TableCell>{s.target.displayName}</TableCell>
                  <TableCell>{s.kind}</TableCell>
                  <TableCell>
                    {s.code}: {s.message}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </>
      ) : null}

      <Text as="h2" weight="semibold" size={400}>
        Plan ({data.plan.steps?.length ?? 0} steps)
      </Text>
      <Table className={styles.table} size="small" aria-label="Plan steps">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Step</TableHeaderCell>
            <TableHeaderCell>Target</TableHeaderCell>
            <TableHeaderCell>Outcome</TableHeaderCell>
            <TableHeaderCell>Note</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {(data.plan.steps ?? []).map((s) => {
            const outcome = data.stepResults?.[s.stepId];
            return (
              <TableRow key={s.stepId}>
                <TableCell>{stepLabel(s.kind)}</TableCell>
                <TableCell>{s.target.displayName}</TableCell>
                <TableCell>
                  {outcome ? (
                    <Badge
                      appearance="tint"
                      color={
                        outcome.status === 'done'
                          ? 'success'
                          : outcome.status === 'skipped'
                            ? 'warning'
                            : 'danger'
                      }
                    >
                      {outcome.status}
                    </Badge>
                  ) : (
                    <span className={styles.muted}>not run yet</span>
                  )}
                </TableCell>
                <TableCell>{outcome?.reason ?? s.skipReason ?? ''}</TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </>
  );
}
