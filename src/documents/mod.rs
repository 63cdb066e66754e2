//! Documents Custos issues: the charging memo and the FRE 902(14) certification draft, each
//! composed from recorded facts and laid out in the document model that the PDF renderer
//! (`pdf`) and the HTML pages both consume.

pub mod certificate;
pub mod memo;
pub mod model;

pub use model::{Block, Column, Document, Table, to_text};
