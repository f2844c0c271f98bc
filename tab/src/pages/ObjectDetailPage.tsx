// One object: browse its versions by date; the properties of the selected version with the
// values that changed from the previous version highlighted in red; memberships, owners, roles
// and authentication methods at that snapshot; Restore this version.
import {
  Badge,
  Button,
  Card,
  Dropdown,
  MessageBar,
  MessageBarBody,
  makeStyles,
  mergeClasses,
  Option,
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
import {
  ArrowDownloadRegular,
  ArrowUndoRegular,
  ChevronLeftRegular,
  ChevronRightRegular,
} from '@fluentui/react-icons';
import { useState } from 'react';
import { useSession } from '../App.tsx';
import { api } from '../api/client.ts';
import type { ObjectDetail, ObjectType, RelationRow, VersionDetail } from '../api/types.ts';
import { ErrorBar, Loading, NavLink, PageHeader, Pending } from '../components/common.tsx';
import { useAsync } from '../components/use-async.ts';
import { formatDateTime, formatValue, TYPE_LABELS } from '../format.ts';
import { startExport } from './ExportPage.tsx';
import { RestoreDialog } from './RestoreDialog.tsx';

const useStyles = makeStyles({
  versionBar: {
    display: 'flex',
    flexDirection: 'row',
    alignItems: 'center',
    gap: tokens.spacingHorizontalS,
    flexWrap: 'wrap',
    padding: tokens.spacingHorizontalM,
    marginBottom: tokens.spacingVerticalM,
  },
  grow: { flexGrow: 1 },
  muted: { color: tokens.colorNeutralForeground3 },
  table: { backgroundColor: tokens.colorNeutralBackground1 },
  property: { fontWeight: tokens.fontWeightSemibold, width: '240px', verticalAlign: 'top' },
  value: { whiteSpace: 'pre-wrap', wordBreak: 'break-word', verticalAlign: 'top' },
  changed: {
    backgroundColor: tokens.colorPaletteRedBackground1,
    color: tokens.colorPaletteRedForeground1,
  },
  changedValue: { color: tokens.colorPaletteRedForeground1, fontWeight: tokens.fontWeightSemibold },
  previous: { color: tokens.colorNeutralForeground3, textDecorationLine: 'line-through' },
  tabs: { marginBottom: tokens.spacingVerticalM },
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200 },
});

type Section = 'properties' | 'memberships' | 'roles' | 'owners' | 'members' | 'org' | 'auth';

export function ObjectDetailPage({ type, id }: { type: string; id: string }) {
  const styles = useStyles();
  const { me } = useSession();
  const objectType = type as ObjectType;
  const base = `/api/tab/objects/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
  const detail = useAsync(() => api<ObjectDetail>(base), [base]);
  const [selected, setSelected] = useState<string>();
  const [section, setSection] = useState<Section>('properties');
  const [restoreOpen, setRestoreOpen] = useState(false);
  const [exportNote, setExportNote] = useState<string>();
  const versions = detail.data?.versions ?? [];
  const versionId = selected ?? versions[0]?.versionId;
  const index = versions.findIndex((v) => v.versionId === versionId);
  const version = useAsync(
    () =>
      versionId
        ? api<VersionDetail>(`${base}/versions/${encodeURIComponent(versionId)}`)
        : Promise.resolve(undefined),
    [base, versionId],
  );

  if (!detail.data) return <Pending error={detail.error} />;
  const { object } = detail.data;
  const label = TYPE_LABELS[objectType] ?? { one: type, many: type };
  const v = version.data;
  const changed = new Map((v?.changes ?? []).map((c) => [c.property, c]));
  const content = v?.version.content ?? null;
  const properties = content
    ? Object.keys(content)
        .filter((k) => !k.startsWith('@'))
        .sort()
    : [];
  for (const c of v?.changes ?? []) if (!properties.includes(c.property)) properties.push(c.property);

  const relations = v?.relations;
  const sections: { value: Section; label: string; count?: number }[] = [
    { value: 'properties', label: 'Properties' },
    { value: 'memberships', label: 'Memberships', count: relations?.memberOf.length },
    {
      value: 'roles',
      label: 'Role assignments',
      count: (relations?.roles.length ?? 0) + (relations?.appRoles.length ?? 0),
    },
  ];
  if (objectType === 'group' || objectType === 'administrativeUnit' || objectType === 'directoryRole') {
    sections.push({ value: 'members', label: 'Members', count: relations?.members.length });
  }
  if (objectType !== 'user')
    sections.push({ value: 'owners', label: 'Owners', count: relations?.owners.length });
  else sections.push({ value: 'owners', label: 'Owned objects', count: relations?.ownerOf.length });
  if (objectType === 'user')
    sections.push({
      value: 'org',
      label: 'Manager and reports',
      count: (relations?.manager.length ?? 0) + (relations?.directReports.length ?? 0),
    });
  if (objectType === 'user')
    sections.push({ value: 'auth', label: 'Authentication methods', count: v?.authMethods?.methods.length });

  const exportObject = async () => {
    setExportNote(undefined);
    try {
      await startExport({ level: 'object', objectType, objectId: id });
      setExportNote('The export was started; follow it on the Export page.');
    } catch (e) {
      setExportNote(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <>
      <Text as="p" className={styles.muted}>
        <NavLink to={`/objects/${objectType}`}>{label.many}</NavLink> / {object.displayName}
      </Text>
      <PageHeader
        title={object.displayName || object.objectId}
        subtitle={
          <>
            {label.one} · <span className={styles.mono}>{object.objectId}</span>{' '}
            {object.deleted ? (
              <Badge color="danger" appearance="filled">
                Deleted {formatDateTime(object.deletedAt)}
              </Badge>
            ) : null}
          </>
        }
        actions={
          <>
            <Button icon={<ArrowDownloadRegular />} onClick={exportObject} disabled={!me.isAdmin}>
              Download JSON
            </Button>
            <Button
              appearance="primary"
              icon={<ArrowUndoRegular />}
              disabled={!me.isAdmin || !v || !content}
              onClick={() => setRestoreOpen(true)}
            >
              Restore this version
            </Button>
          </>
        }
      />
      {exportNote ? (
        <MessageBar intent="info">
          <MessageBarBody>{exportNote}</MessageBarBody>
        </MessageBar>
      ) : null}

      <Card className={styles.versionBar}>
        <Button
          icon={<ChevronLeftRegular />}
          aria-label="Older version"
          disabled={index < 0 || index >= versions.length - 1}
          onClick={() => setSelected(versions[index + 1]?.versionId)}
        />
        <Dropdown
          aria-label="Version"
          value={v ? formatDateTime(v.version.capturedAt) : ''}
          selectedOptions={versionId ? [versionId] : []}
          onOptionSelect={(_e, d) => setSelected(d.optionValue)}
        >
          {versions.map((ver, i) => (
            <Option key={ver.versionId} value={ver.versionId} text={formatDateTime(ver.capturedAt)}>
              {formatDateTime(ver.capturedAt)}
              {i === 0 ? ' (latest)' : ''}
              {ver.deleted ? ' · deleted' : ''}
              {ver.source === 'pre-restore' ? ' · before a restore' : ''}
            </Option>
          ))}
        </Dropdown>
        <Button
          icon={<ChevronRightRegular />}
          aria-label="Newer version"
          disabled={index <= 0}
          onClick={() => setSelected(versions[index - 1]?.versionId)}
        />
        <Text data-testid="version-position">
          Version {versions.length - index} of {versions.length}
        </Text>
        <span className={styles.grow} />
        <Text className={styles.muted}>
          {v?.previous
            ? `${v.changes.length} ${v.changes.length === 1 ? 'value' : 'values'} changed since ${formatDateTime(v.previous.capturedAt)}`
            : 'First version in the backup'}
        </Text>
      </Card>

      <TabList
        className={styles.tabs}
        selectedValue={section}
        onTabSelect={(_e, d) => setSection(d.value as Section)}
      >
        {sections.map((s) => (
          <Tab key={s.value} value={s.value}>
            {s.label}
            {s.count !== undefined ? ` (${s.count})` : ''}
          </Tab>
        ))}
      </TabList>
      <ErrorBar error={version.error} />
      {!v ? <Loading /> : null}

      {v && section === 'properties' ? (
        v.version.deleted && !content ? (
          <MessageBar intent="warning">
            <MessageBarBody>
              The object was deleted at this point. Pick an older version to see its properties.
            </MessageBarBody>
          </MessageBar>
        ) : (
          <Table className={styles.table} aria-label="Properties of this version" size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Property</TableHeaderCell>
                <TableHeaderCell>Value in this version</TableHeaderCell>
                <TableHeaderCell>Previous value</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {properties.map((p) => {
                const c = changed.get(p);
                return (
                  <TableRow
                    key={p}
                    className={c ? styles.changed : undefined}
                    data-changed={c ? 'true' : undefined}
                    data-property={p}
                  >
                    <TableCell className={styles.property}>
                      {p}{' '}
                      {c ? (
                        <Badge size="small" color="danger" appearance="filled">
                          Changed
                        </Badge>
                      ) : null}
                    </TableCell>
                    <TableCell className={mergeClasses(styles.value, c ? styles.changedValue : undefined)}>
                      {formatValue(content?.[p])}
                    </TableCell>
                    <TableCell className={mergeClasses(styles.value, c ? styles.previous : undefined)}>
                      {c ? formatValue(c.before) : ''}
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        )
      ) : null}
      {v && section === 'memberships' ? (
        <RelationTable rows={v.relations.memberOf} empty="Not a member of any group at this time." />
      ) : null}
      {v && section === 'roles' ? (
        <RelationTable
          rows={[...v.relations.roles, ...v.relations.appRoles]}
          empty="No role assignments at this time."
        />
      ) : null}
      {v && section === 'members' ? (
        <RelationTable rows={v.relations.members} empty="No members at this time." />
      ) : null}
      {v && section === 'owners' ? (
        <RelationTable
          rows={objectType === 'user' ? v.relations.ownerOf : v.relations.owners}
          empty={objectType === 'user' ? 'Owns nothing at this time.' : 'No owners at this time.'}
        />
      ) : null}
      {v && section === 'org' ? (
        <RelationTable
          rows={[...v.relations.manager, ...v.relations.directReports]}
          empty="No manager and no direct reports at this time."
        />
      ) : null}
      {v && section === 'auth' ? <AuthMethods methods={v.authMethods?.methods ?? []} /> : null}
      {v?.relations.truncated ? (
        <Text as="p" className={styles.muted}>
          Only the first 500 relationships are shown.
        </Text>
      ) : null}

      {restoreOpen && v ? (
        <RestoreDialog
          objectType={objectType}
          objectId={id}
          displayName={object.displayName}
          version={v.version}
          onClose={() => setRestoreOpen(false)}
        />
      ) : null}
    </>
  );
}

function RelationTable({ rows, empty }: { rows: RelationRow[]; empty: string }) {
  const styles = useStyles();
  if (rows.length === 0) return <Text className={styles.muted}>{empty}</Text>;
  return (
    <Table className={styles.table} size="small" aria-label="Relationships at this snapshot">
      <TableHeader>
        <TableRow>
          <TableHeaderCell>Name</TableHeaderCell>
          <TableHeaderCell>Type</TableHeaderCell>
          <TableHeaderCell>Relationship</TableHeaderCell>
          <TableHeaderCell>Since</TableHeaderCell>
        </TableRow>
      </TableHeader>
      <TableBody>
        {rows.map((r) => (
          <TableRow key={`${r.kind}-${r.id}-${r.since}`}>
            <TableCell>
              {r.objectType ? (
                <NavLink to={`/objects/${r.objectType}/${encodeURIComponent(r.id)}`}>{r.displayName}</NavLink>
              ) : (
                r.displayName
              )}
            </TableCell>
            <TableCell>{r.objectType ? (TYPE_LABELS[r.objectType]?.one ?? r.objectType) : '—'}</TableCell>
            <TableCell>
              {r.kind === 'roleAssignment'
                ? 'Role assignment'
                : r.kind === 'appRoleAssignment'
                  ? 'App role'
                  : r.kind === 'owner'
                    ? 'Owner'
                    : r.kind === 'manager'
                      ? 'Manager'
                      : r.kind === 'directReport'
                        ? 'Direct report'
                        : 'Member'}
            </TableCell>
            <TableCell>{formatDateTime(r.since)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function AuthMethods({ methods }: { methods: Record<string, unknown>[] }) {
  const styles = useStyles();
  if (methods.length === 0)
    return <Text className={styles.muted}>No authentication methods recorded at this time.</Text>;
  return (
    <Table className={styles.table} size="small" aria-label="Authentication methods at this snapshot">
      <TableHeader>
        <TableRow>
          <TableHeaderCell>Method</TableHeaderCell>
          <TableHeaderCell>Details</TableHeaderCell>
        </TableRow>
      </TableHeader>
      <TableBody>
        {methods.map((m, i) => {
          const { '@odata.type': odataType, id: _id, ...rest } = m;
          const kind = String(odataType ?? m.methodType ?? 'method')
            .replace('#microsoft.graph.', '')
            .replace(/AuthenticationMethod$/, '');
          return (
            <TableRow key={String(m.id ?? i)}>
              <TableCell>{kind}</TableCell>
              <TableCell className={styles.value}>
                {Object.entries(rest)
                  .filter(([, value]) => value !== null && value !== undefined && value !== '')
                  .map(([k, value]) => `${k}: ${formatValue(value)}`)
                  .join(' · ')}
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
