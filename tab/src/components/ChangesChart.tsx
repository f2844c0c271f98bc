// The 30-day trend: objects changed per day (bars) and mean run duration (line).
import { makeStyles, Text } from '@fluentui/react-components';
import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useSession } from '../App.tsx';
import type { DayPoint } from '../api/types.ts';
import { formatDay } from '../format.ts';

const useStyles = makeStyles({
  wrap: { width: '100%', height: '260px' },
  summary: { position: 'absolute', width: '1px', height: '1px', overflow: 'hidden', clip: 'rect(0 0 0 0)' },
});

export function ChangesChart({ days }: { days: DayPoint[] }) {
  const styles = useStyles();
  const { theme } = useSession();
  const data = days.map((d) => ({ ...d, label: formatDay(d.date) }));
  const totalChanged = days.reduce((n, d) => n + d.changed, 0);
  const totalRuns = days.reduce((n, d) => n + d.runs, 0);
  const axis = { fill: theme.colorNeutralForeground3, fontSize: 12 };
  return (
    <figure
      className={styles.wrap}
      aria-label="Objects changed and run durations over the last 30 days"
      style={{ margin: 0 }}
    >
      <Text className={styles.summary}>
        {`${totalChanged} objects changed in ${totalRuns} runs over the last 30 days.`}
      </Text>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={theme.colorNeutralStroke2} vertical={false} />
          <XAxis
            dataKey="label"
            tick={axis}
            stroke={theme.colorNeutralStroke1}
            interval="preserveStartEnd"
            minTickGap={24}
          />
          <YAxis
            yAxisId="changes"
            tick={axis}
            stroke={theme.colorNeutralStroke1}
            allowDecimals={false}
            width={48}
          />
          <YAxis
            yAxisId="duration"
            orientation="right"
            tick={axis}
            stroke={theme.colorNeutralStroke1}
            width={48}
            unit=" s"
          />
          <Tooltip
            contentStyle={{
              background: theme.colorNeutralBackground1,
              border: `1px solid ${theme.colorNeutralStroke1}`,
              color: theme.colorNeutralForeground1,
              borderRadius: 4,
            }}
          />
          <Legend wrapperStyle={{ color: theme.colorNeutralForeground2, fontSize: 12 }} />
          <Bar
            yAxisId="changes"
            dataKey="changed"
            name="Objects changed"
            fill={theme.colorBrandBackground}
            radius={[2, 2, 0, 0]}
            isAnimationActive={false}
          />
          <Line
            yAxisId="duration"
            dataKey="avgDurationSeconds"
            name="Mean run duration (s)"
            stroke={theme.colorPaletteMarigoldBorderActive}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
        </ComposedChart>
      </ResponsiveContainer>
    </figure>
  );
}
