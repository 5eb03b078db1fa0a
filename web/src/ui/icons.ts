/** The line icons the app draws (lucide, ISC), in one place: the bundle keeps only these. */
export {
  ArrowLeft,
  CircleAlert,
  Ellipsis,
  Info,
  LockKeyhole,
  LogOut,
  Mic,
  Paperclip,
  Search,
  SendHorizontal,
  Settings,
  Smile,
  SquarePen,
  UserPlus,
  Users,
  X,
} from 'lucide';
