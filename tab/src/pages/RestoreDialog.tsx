// Restore options for one version, the plan preview (what changes, step by step) and the
// request, which then waits for a second admin's approval.
import {
  Badge,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  makeStyles,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import { useMemo, useState } from 'react';
import { api } from '../api/client.ts';
import type {
  ObjectType,
  Plan,
  RestoreOptions,
  RestoreTargets,
  RestoreView,
  VersionDetail,
} from '../api/types.ts';
import { ErrorBar } from '../components/common.tsx';
import { useAsync } from '../components/use-async.ts';
import { formatDateTime, formatValue, stepLabel } from '../format.ts';
import { useRouter } from '../router.tsx';
import {
  type CrossTenantChoice,
  CrossTenantFields,
  DomainMappingPreview,
  sourceDomains,
} from './CrossTenantFields.tsx';

const useStyles = makeStyles({
  surface: { maxWidth: '860px', width: '90vw' },
  options: { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: `0 ${tokens.spacingHorizontalL}` },
  asNew: {
    display: 'flex',
    gap: tokens.spacingHorizontalM,
    marginTop: tokens.spacingVerticalS,
    flexWrap: 'wrap',
  },
  section: { marginTop: tokens.spacingVerticalL },
  value: { whiteSpace: 'pre-wrap', wordBreak: 'break-word' },
  after: { color: tokens.colorPaletteRedForeground1, fontWeight: tokens.fontWeightSemibold },
  muted: { color: tokens.colorNeutralForeground3 },
  steps: { margin: 0, paddingLeft: tokens.spacingHorizontalL },
});

export function RestoreDialog(props: {
  objectType: ObjectType;
  objectId: string;
  displayName: string;
  version: VersionDetail['version'];
  onClose: () => void;
}) {
  const styles = useStyles();
  const { navigate } = useRouter();
  const [options, setOptions] = useState<RestoreOptions>({
    withObject: true,
    blockSignIn: false,
    withMemberships: true,
    withOwners: true,
    withRoleAssignments: true,
    withAuthMethods: false,
  });
  const [asNew, setAsNew] = useState(false);
  const [newName, setNewName] = useState(`${props.displayName} (restored)`);
  const [newUpn, setNewUpn] = useState('');
  const [plan, setPlan] = useState<Plan>();
  const [busy, setBusy] = useState<'preview' | 'request'>();
  const [error, setError] = useState<unknown>();
  const [crossTenant, setCrossTenant] = useState<CrossTenantChoice>({});
  // Which other tenants this admin may restore into: the server decides, the page only shows it.
  const targets = useAsync(() => api<RestoreTargets>('/api/tab/restores/targets'), []).data;
  const domains = useMemo(
    () => (targets ? sourceDomains(targets.source, props.version.content) : []),
    [targets, props.version.content],
  );

  const body = () => ({
    objects: [{ objectType: props.objectType, objectId: props.objectId, versionId: props.version.versionId }],
    at: props.version.capturedAt,
    options: {
      ...options,
      ...(asNew ? { asNew: { displayName: newName, ...(newUpn ? { userPrincipalName: newUpn } : {}) } } : {}),
      ...(crossTenant.targetTenantId
        ? { targetTenantId: crossTenant.targetTenantId, domainMap: crossTenant.domainMap ?? {} }
        : {}),
    },
  });
  const set = (key: keyof RestoreOptions) => (_e: unknown, d: { checked: boolean | 'mixed' }) => {
    setOptions({ ...options, [key]: d.checked === true });
    setPlan(undefined);
  };

  const preview = async () => {
    setBusy('preview');
    setError(undefined);
    try {
      setPlan(
        (await api<{ plan: Plan }>('/api/tab/restores/preview', { method: 'POST', body: body() })).plan,
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(undefined);
    }
  };
  const request = async () => {
    setBusy('request');
    setError(undefined);
    try {
      const created = await api<RestoreView>('/api/tab/restores', { method: 'POST', body: body() });
      navigate(`/restores/${created.restoreId}`);
    } catch (e) {
      setError(e);
      setBusy(undefined);
    }
  };

  const diff = plan ? Object.values(plan.diff) : [];
  const isUser = props.objectType === 'user';
  return (
    <Dialog open onOpenChange={(_e, d) => (!d.open ? props.onClose() : undefined)}>
      <DialogSurface className={styles.surface}>
        <DialogBody>
          <DialogTitle>Restore {props.displayName}</DialogTitle>
          <DialogContent>
            <Text as="p">
              Restore the version captured <strong>{formatDateTime(props.version.capturedAt)}</strong>. A
              second admin must approve before anything is written.
            </Text>
            <fieldset className={styles.options} style={{ border: 0, padding: 0 }}>
              <legend className={styles.muted}>Restore options</legend>
              <Checkbox
                label="With object (properties; recreated if gone)"
                checked={options.withObject}
                onChange={set('withObject')}
              />
              <Checkbox
                label="With memberships"
                checked={options.withMemberships}
                onChange={set('withMemberships')}
              />
              <Checkbox
                label="With role assignments"
                checked={options.withRoleAssignments}
                onChange={set('withRoleAssignments')}
              />
              <Checkbox label="With owners" checked={options.withOwners} onChange={set('withOwners')} />
              {isUser ? (
                <Checkbox label="Block sign-in" checked={options.blockSignIn} onChange={set('blockSignIn')} />
              ) : null}
              {isUser ? (
                <Checkbox
                  label="Report authentication methods"
                  checked={options.withAuthMethods}
                  onChange={set('withAuthMethods')}
                />
              ) : null}
              <Checkbox
                label="As a new object (new id)"
                checked={asNew}
                onChange={(_e, d) => {
                  setAsNew(d.checked === true);
                  setPlan(undefined);
                }}
              />
            </fieldset>
            {asNew ? (
              <div className={styles.asNew}>
                <Field label="New display name" required>
                  <Input value={newName} onChange={(_e, d) => setNewName(d.value)} />
                </Field>
                {isUser ? (
                  <Field label="New user principal name" required>
                    <Input
                      value={newUpn}
                      onChange={(_e, d) => setNewUpn(d.value)}
                      placeholder="name@contoso.com"
                    />
                  </Field>
                ) : null}
              </div>
            ) : null}
            {targets ? (
              <CrossTenantFields
                targets={targets}
                domains={domains}
                value={crossTenant}
                onChange={(v) => {
                  setCrossTenant(v);
                  setPlan(undefined);
                }}
              />
            ) : null}
            <div className={styles.section}>
              <ErrorBar error={error} title="The restore could not be prepared" />
            </div>
            {plan ? (
              <div className={styles.section} data-testid="plan-preview">
                <Text as="h3" weight="semibold">
                  Preview
                </Text>
                <DomainMappingPreview plan={plan} targets={targets} />
                {(plan.notes ?? []).map((n) => (
                  <MessageBar key={n} intent="info">
                    <MessageBarBody>{n}</MessageBarBody>
                  </MessageBar>
                ))}
                {plan.warnings.map((w) => (
                  <MessageBar key={w} intent="warning">
                    <MessageBarBody>{w}</MessageBarBody>
                  </MessageBar>
                ))}
                {plan.missingPermissions.length ? (
                  <MessageBar intent="error">
                    <MessageBarBody>
                      The restore app lacks: {plan.missingPermissions.join(', ')}
                    </MessageBarBody>
                  </MessageBar>
                ) : null}
                {diff.map((d) => (
                  <div key={d.versionId}>
                    <Text as="p">
                      {d.displayName}: live object is{' '}
                      <Badge appearance="tint" color={d.liveState === 'live' ? 'success' : 'danger'}>
                        {d.liveState === 'live'
                          ? 'present'
                          : d.liveState === 'softDeleted'
                            ? 'in the recycle bin'
                            : 'gone'}
                      </Badge>
                    </Text>
                    {d.changes.length ? (
                      <Table size="small" aria-label="Properties the restore changes">
                        <TableHeader>
                          <TableRow>
                            <TableHeaderCell>Property</TableHeaderCell>
                            <TableHeaderCell>Live now</TableHeaderCell>
                            <TableHeaderCell>After restore</TableHeaderCell>
                          </TableRow>
                        </TableHeader>
                        <TableBody>
                          {d.changes.map((c) => (
                            <TableRow key={c.property}>
                              <TableCell>
                                {c.property}{' '}
                                {c.writable ? null : (
                                  <Badge size="small" appearance="outline" color="informative">
                                    read-only
                                  </Badge>
                                )}
                              </TableCell>
                              <TableCell className={styles.value}>{formatValue(c.before)}</TableCell>
                              <TableCell className={`${styles.value} ${styles.after}`}>
                                {formatValue(c.after)}
                              </TableCell>
                            </TableRow>
                          ))}
                        </TableBody>
                      </Table>
                    ) : (
                      <Text className={styles.muted}>No property differs from the live object.</Text>
                    )}
                  </div>
                ))}
                <Text as="h3" weight="semibold" block style={{ marginTop: 12 }}>
                  {plan.steps.length} {plan.steps.length === 1 ? 'step' : 'steps'}
                </Text>
                <ol className={styles.steps}>
                  {plan.steps.map((s) => (
                    <li key={s.stepId}>
                      {stepLabel(s.kind)}: {s.target.displayName}
                      {s.skipReason ? <span className={styles.muted}> — {s.skipReason}</span> : null}
                    </li>
                  ))}
                </ol>
              </div>
            ) : null}
          </DialogContent>
          <DialogActions>
            <Button onClick={props.onClose}>Cancel</Button>
            <Button onClick={preview} disabled={busy !== undefined}>
              {busy === 'preview' ? <Spinner size="tiny" label="Planning…" /> : 'Preview'}
            </Button>
            <Button appearance="primary" onClick={request} disabled={busy !== undefined || !plan}>
              {busy === 'request' ? <Spinner size="tiny" label="Requesting…" /> : 'Request restore'}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
