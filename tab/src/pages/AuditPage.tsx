// The audit log: every backup, restore request, decision, setting change and export, with who
// and when; filter by person and by action.
import {
  Button,
  Dropdown,
  Field,
  makeStyles,
  Option,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import { useState } from 'react';
import { api, query } from '../api/client.ts';
import type { AuditRow } from '../api/types.ts';
import { ErrorBar, Loading, PageHeader } from '../components/common.tsx';
import { useAsync } from '../components/use-async.ts';
import { formatDateTime, formatValue } from '../format.ts';

const useStyles = makeStyles({
  toolbar: {
    display: 'flex',
    gap: tokens.spacingHorizontalM,
    marginBottom: tokens.spacingVerticalM,
    flexWrap: 'wrap',
  },
  table: { backgroundColor: tokens.colorNeutralBackground1 },
  details: {
    fontSize: tokens.fontSizeBase200,
    wordBreak: 'break-word',
    color: tokens.colorNeutralForeground2,
  },
  muted: { color: tokens.colorNeutralForeground3 },
  target: { wordBreak: 'break-all', fontSize: tokens.fontSizeBase200 },
  more: { marginTop: tokens.spacingVerticalM },
});

const ALL = '';

export function AuditPage() {
  const styles = useStyles();
  const [actor, setActor] = useState(ALL);
  const [action, setAction] = useState(ALL);
  const facets = useAsync(
    () =>
      api<{ actors: { objectId: string; displayName: string }[]; actions: string[] }>(
        '/api/tab/audit/facets',
      ),
    [],
  );
  const [extra, setExtra] = useState<AuditRow[]>([]);
  const [next, setNext] = useState<string>();
  const { data, error } = useAsync(async () => {
    const page = await api<{ items: AuditRow[]; continuation?: string }>(
      `/api/tab/audit${query({ actor, action, limit: 50 })}`,
    );
    setExtra([]);
    setNext(page.continuation);
    return page;
  }, [actor, action]);
  const loadMore = async () => {
    const page = await api<{ items: AuditRow[]; continuation?: string }>(
      `/api/tab/audit${query({ actor, action, limit: 50, continuation: next })}`,
    );
    setExtra([...extra, ...page.items]);
    setNext(page.continuation);
  };
  const actors = facets.data?.actors ?? [];
  const actions = facets.data?.actions ?? [];
  const rows = [...(data?.items ?? []), ...extra];
  return (
    <>
      <PageHeader
        title="Audit log"
        subtitle="Append-only and hash-chained: every entry records who did what, and when"
      />
      <div className={styles.toolbar}>
        <Field label="Person">
          <Dropdown
            value={actor ? (actors.find((a) => a.objectId === actor)?.displayName ?? actor) : 'Everyone'}
            selectedOptions={[actor]}
            onOptionSelect={(_e, d) => setActor(d.optionValue ?? ALL)}
          >
            <Option value={ALL}>Everyone</Option>
            {actors.map((a) => (
              <Option key={a.objectId} value={a.objectId}>
                {a.displayName}
              </Option>
            ))}
          </Dropdown>
        </Field>
        <Field label="Action">
          <Dropdown
            value={action || 'All actions'}
            selectedOptions={[action]}
            onOptionSelect={(_e, d) => setAction(d.optionValue ?? ALL)}
          >
            <Option value={ALL}>All actions</Option>
            {actions.map((a) => (
              <Option key={a} value={a}>
                {a}
              </Option>
            ))}
          </Dropdown>
        </Field>
      </div>
      <ErrorBar error={error} />
      {!data ? <Loading /> : null}
      {data && rows.length === 0 ? <Text className={styles.muted}>No entries match.</Text> : null}
      {rows.length > 0 ? (
        <Table className={styles.table} size="small" aria-label="Audit log entries">
          <TableHeader>
            <TableRow>
              <TableHeaderCell style={{ width: '170px' }}>When</TableHeaderCell>
              <TableHeaderCell style={{ width: '160px' }}>Who</TableHeaderCell>
              <TableHeaderCell style={{ width: '190px' }}>Action</TableHeaderCell>
              <TableHeaderCell style={{ width: '22%' }}>Target</TableHeaderCell>
              <TableHeaderCell>Details</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {rows.map((r) => (
              <TableRow key={r.seq}>
                <TableCell>{formatDateTime(r.at)}</TableCell>
                <TableCell>{r.actor.displayName ?? r.actor.objectId}</TableCell>
                <TableCell>{r.action}</TableCell>
                <TableCell className={styles.target}>{r.target ?? ''}</TableCell>
                <TableCell
                  className={styles.details}
                  title={r.details ? JSON.stringify(r.details) : undefined}
                >
                  {r.details ? formatValue(r.details).slice(0, 200) : ''}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
      {next ? (
        <Button className={styles.more} onClick={loadMore}>
          Show older entries
        </Button>
      ) : null}
    </>
  );
}
